// The trainers' source editor: CodeMirror 6 (lms/static/vendor/codemirror/) over the page's
// <textarea id="source">, which stays the form's field (without JavaScript it is the editor).
// Line numbers, Markdown highlighting, wrapped lines; as the trainer types, the server checks the
// text with `lms check`'s code and renders it as trainees see it: the preview pane is replaced and
// the problems are marked in the gutter at their lines and listed under the editor.
// A URL fragment #L<n> (and any link to one) puts the cursor on line n.
// Other parts of the page use window.lmsEditor: goToLine(n), insert(text), view.
(function () {
  "use strict";
  // CodeMirror adds a <style> element: the page's policy allows it with this script's nonce.
  var nonce = document.currentScript ? document.currentScript.nonce : "";
  var CM = window.LmsCodeMirror;
  var textarea = document.querySelector("textarea#source");
  var form = textarea && textarea.form;
  var dataBlock = document.querySelector("script#editor-data");
  if (!CM || !form || !form.hasAttribute("data-editor-form") || !dataBlock) { return; }
  var data = JSON.parse(dataBlock.textContent);
  var i18n = data.i18n;
  var previewUrl = form.getAttribute("data-preview-url");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var pane = document.querySelector("[data-preview]");
  var stale = document.querySelector("[data-preview-stale]");
  var status = document.querySelector("[data-preview-status]");
  var list = document.querySelector("[data-problem-list]");
  var count = document.querySelector("[data-problem-count]");
  var DELAY = 400; // ms after the last keystroke
  var timer = null;
  var pending = null; // the AbortController of the request in flight
  var sent = 0;
  // Autosave: a pause in typing (or leaving the page) keeps the text as a draft. The page holds the
  // draft version each save returns, so the next save and the form's Save/Publish build on it.
  var autosaveUrl = form.getAttribute("data-autosave-url");
  var baseField = form.querySelector("input[name=base_number]");
  var versionField = form.querySelector("input[name=version]");
  var saveStatus = document.querySelector("[data-autosave-status]");
  var SAVE_DELAY = 5000; // ms after the last keystroke
  var saveTimer = null;
  var saving = null; // the save in flight (a Promise)
  var savedText = textarea.value;
  // a draft left behind by a later publication is saved only once the trainer keeps it on that one
  var autosaveOn = data.autosave && !!autosaveUrl && !document.querySelector("[data-stale-draft]");

  function format(template, n) { return template.replace("%(n)d", String(n)); }

  var extensions = [
    CM.lineNumbers(),
    CM.highlightActiveLineGutter(),
    CM.highlightSpecialChars(),
    CM.history(),
    CM.drawSelection(),
    CM.indentOnInput(),
    CM.syntaxHighlighting(CM.defaultHighlightStyle, { fallback: true }),
    CM.highlightActiveLine(),
    CM.highlightSelectionMatches(),
    CM.search({ top: true }),
    // Tab indents; Escape then Tab leaves the editor (CodeMirror's documented way out).
    CM.keymap.of([].concat(CM.defaultKeymap, CM.historyKeymap, CM.searchKeymap, [CM.indentWithTab])),
    CM.EditorView.lineWrapping,
    CM.lintGutter(),
    CM.EditorView.contentAttributes.of({
      "aria-labelledby": "source-label", "aria-describedby": "source-keys", spellcheck: "false",
      lang: "zh-CN", tabindex: "0" // axe counts a contenteditable as focusable only with a tabindex
    }),
    CM.EditorView.updateListener.of(function (update) {
      if (!update.docChanged) { return; }
      textarea.value = update.state.doc.toString();
      clearTimeout(timer);
      timer = setTimeout(refresh, DELAY);
      clearTimeout(saveTimer);
      saveTimer = setTimeout(autosave, SAVE_DELAY);
    })
  ];
  if (data.language === "markdown") { extensions.push(new CM.LanguageSupport(CM.markdownWithFrontMatter)); }
  if (nonce) { extensions.push(CM.EditorView.cspNonce.of(nonce)); }

  var view = new CM.EditorView({
    state: CM.EditorState.create({ doc: textarea.value, extensions: extensions })
  });
  textarea.parentNode.insertBefore(view.dom, textarea);
  textarea.hidden = true;
  form.classList.add("editor-enhanced");
  document.querySelector("label#source-label").addEventListener("click", function () { view.focus(); });
  form.addEventListener("submit", function () { textarea.value = view.state.doc.toString(); });

  function goToLine(number) {
    var doc = view.state.doc;
    var line = doc.line(Math.min(Math.max(number, 1), doc.lines));
    view.dispatch({ selection: { anchor: line.from },
                    effects: CM.EditorView.scrollIntoView(line.from, { y: "center" }) });
    view.focus();
  }

  function insert(text) {
    view.dispatch(view.state.replaceSelection(text));
    view.focus();
  }

  function fromHash() {
    var match = /^#L(\d+)$/.exec(window.location.hash);
    if (match) { goToLine(parseInt(match[1], 10)); }
  }

  // a link to #L<n> anywhere on the page (the problems, the preview, the simulation map)
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#L']") : null;
    var match = link && /^#L(\d+)$/.exec(link.getAttribute("href"));
    if (!match) { return; }
    event.preventDefault();
    if (window.history.replaceState) { window.history.replaceState(null, "", "#L" + match[1]); }
    goToLine(parseInt(match[1], 10));
  });
  window.addEventListener("hashchange", fromHash);

  function showDiagnostics(problems) {
    var doc = view.state.doc;
    var found = [];
    problems.forEach(function (problem) {
      if (!problem.line) { return; }
      var line = doc.line(Math.min(Math.max(problem.line, 1), doc.lines));
      found.push({ from: line.from, to: line.to, message: problem.message,
                   severity: problem.severity === "warning" ? "warning" : "error" });
    });
    view.dispatch(CM.setDiagnostics(view.state, found));
  }

  function showProblems(problems) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      item.className = "problem problem--" + (problem.severity === "warning" ? "warning" : "error");
      if (problem.line) {
        var link = document.createElement("a");
        link.href = "#L" + problem.line;
        link.className = "problem__line";
        link.textContent = format(i18n.line, problem.line);
        item.appendChild(link);
        item.appendChild(document.createTextNode(" "));
      }
      var message = document.createElement("span");
      message.className = "problem__message";
      message.lang = "en";
      message.textContent = problem.message;
      item.appendChild(message);
      list.appendChild(item);
    });
    var text = format(i18n.count, problems.length);
    if (count.textContent !== text) { count.textContent = text; }
    showDiagnostics(problems);
  }

  function show(result) {
    if (result.html === null) {
      // the course does not load with this text: keep the last preview, say it is behind
      if (pane.firstChild) { stale.textContent = i18n.stale; }
      stale.hidden = false;
    } else {
      pane.innerHTML = result.html; // rendered and sanitised by the server, as for trainees
      stale.hidden = true;
    }
    showProblems(result.problems);
  }

  function refresh() {
    if (pending) { pending.abort(); }
    var controller = new AbortController();
    var mine = ++sent;
    pending = controller;
    pane.setAttribute("aria-busy", "true");
    status.textContent = i18n.updating;
    fetch(previewUrl, {
      method: "POST", credentials: "same-origin", signal: controller.signal,
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ source: view.state.doc.toString() })
    }).then(function (response) {
      if (!response.ok) { throw new Error("preview " + response.status); }
      return response.json();
    }).then(function (result) {
      if (mine !== sent) { return; }
      pending = null;
      pane.removeAttribute("aria-busy");
      status.textContent = "";
      show(result);
    }).catch(function (error) {
      if (error.name === "AbortError" || mine !== sent) { return; }
      pending = null;
      pane.removeAttribute("aria-busy");
      status.textContent = i18n.failed;
    });
  }

  function number(field) {
    var value = parseInt(field.value, 10);
    return value > 0 ? value : null;
  }

  function twoDigits(n) { return (n < 10 ? "0" : "") + n; }

  function showConflict(result) {
    var box = document.querySelector("[data-conflict]");
    box.querySelector("[data-conflict-message]").textContent = result.error || "";
    var diff = box.querySelector("[data-conflict-diff]");
    diff.textContent = result.diff || "";
    diff.hidden = !result.diff;
    box.hidden = false;
    saveStatus.textContent = i18n.conflict;
  }

  function autosave(leaving) {
    clearTimeout(saveTimer);
    var text = view.state.doc.toString();
    if (!autosaveOn || saving || text === savedText) { return saving; }
    saving = fetch(autosaveUrl, {
      method: "POST", credentials: "same-origin", keepalive: !!leaving,
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ source: text, base_number: number(baseField), version: number(versionField) })
    }).then(function (response) {
      return response.json().then(function (result) { return { status: response.status, result: result }; });
    }).then(function (answer) {
      saving = null;
      if (answer.status === 409) {
        autosaveOn = false; // never overwrite: the trainer reloads and sees the other changes
        showConflict(answer.result);
        return;
      }
      if (answer.status === 400 && answer.result.error) {  // refused (too large, a NUL): say why
        saveStatus.textContent = answer.result.error;
        return;
      }
      if (answer.status !== 200) { throw new Error("autosave " + answer.status); }
      versionField.value = answer.result.version === null ? "" : String(answer.result.version);
      savedText = text;
      var now = new Date();
      saveStatus.textContent = i18n.autosaved.replace(
        "%(time)s", twoDigits(now.getHours()) + ":" + twoDigits(now.getMinutes()));
      if (view.state.doc.toString() !== savedText) { saveTimer = setTimeout(autosave, SAVE_DELAY); }
    }).catch(function () {
      saving = null;
      saveStatus.textContent = i18n.autosaveFailed;
    });
    return saving;
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { autosave(true); }
  });
  // Save/Publish/Discard wait for a save in flight, so they post the version it returned.
  form.addEventListener("submit", function (event) {
    clearTimeout(saveTimer);
    if (!saving) { autosaveOn = false; return; } // the form posts the text: leaving saves nothing more
    event.preventDefault();
    var submitter = event.submitter;
    saving.then(function () { form.requestSubmit(submitter); });
  });

  showDiagnostics(data.problems);
  fromHash();
  window.lmsEditor = { view: view, goToLine: goToLine, insert: insert };
  document.addEventListener("lms:insert-text", function (event) {
    insert(event.detail.text);
    event.preventDefault();
  });
  document.dispatchEvent(new CustomEvent("lms:editor-ready", { detail: window.lmsEditor }));
}());
