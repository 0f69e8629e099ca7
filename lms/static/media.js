// A course's images beside the source editor: insert one at the cursor with its alt text, and
// upload one without leaving the page (the form still posts without this script).
//
// Inserting dispatches a cancelable CustomEvent "lms:insert-text" ({detail: {text}}) on document;
// an editor that inserts the text calls preventDefault(). Otherwise the text goes into the
// <textarea id="source"> at its cursor.
(function () {
  "use strict";
  var box = document.querySelector("[data-media]");
  if (!box) { return; }
  var dialog = box.querySelector("[data-media-dialog]");
  var status = box.querySelector("[data-media-status]");
  var opener = null;
  var chosen = null;

  function insertText(text) {
    var event = new CustomEvent("lms:insert-text", { detail: { text: text }, cancelable: true });
    document.dispatchEvent(event);
    if (event.defaultPrevented) { return true; }
    var area = document.querySelector("textarea#source");
    if (!area) { return false; }
    area.focus();
    area.setRangeText(text, area.selectionStart, area.selectionEnd, "end");
    area.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  function markdown(alt, path) {
    return "![" + alt.replace(/[\[\]\\\r\n]+/g, " ").trim() + "](" + path + ")";
  }

  function openDialog(path, button) {
    if (!dialog || typeof dialog.showModal !== "function") { return; }
    chosen = path;
    opener = button;
    var input = dialog.querySelector("input[name=alt]");
    input.value = "";
    showAltError(false);
    dialog.querySelector("[data-media-alt-path]").textContent = path;
    dialog.showModal();
    input.focus();
  }

  function showAltError(show) {
    var list = dialog.querySelector("[data-media-alt-error]");
    var input = dialog.querySelector("input[name=alt]");
    list.textContent = "";
    input.removeAttribute("aria-invalid");
    if (show) {
      var item = document.createElement("li");
      item.textContent = list.getAttribute("data-message");
      list.appendChild(item);
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }

  box.addEventListener("click", function (event) {
    var button = event.target.closest("[data-media-insert]");
    if (button) { openDialog(button.getAttribute("data-media-insert"), button); }
  });

  if (dialog) {
    dialog.querySelector("[data-media-alt-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      var alt = dialog.querySelector("input[name=alt]").value;
      if (!alt.trim()) { showAltError(true); return; }
      var text = markdown(alt, chosen);
      opener = null;  // focus goes to the text, not back to the button
      dialog.close();
      insertText(text);
    });
    dialog.querySelector("[data-media-cancel]").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () {
      if (opener) { opener.focus(); }
    });
  }

  function showUploadError(message) {
    var list = box.querySelector("[data-media-error]");
    var input = box.querySelector("input[name=image]");
    list.textContent = "";
    input.removeAttribute("aria-invalid");
    if (message) {
      var item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
      input.setAttribute("aria-invalid", "true");
    }
  }

  function addToList(path, url) {
    var list = box.querySelector("[data-media-list]");
    var empty = list.querySelector("[data-media-empty]");
    if (empty) { empty.remove(); }
    var item = document.createElement("li");
    item.className = "media__item";
    var thumb = document.createElement("img");
    thumb.className = "media__thumb";
    thumb.src = url;
    thumb.alt = "";
    var about = document.createElement("div");
    about.className = "media__about";
    var code = document.createElement("code");
    code.className = "media__path";
    code.textContent = path;
    var hint = document.createElement("span");
    hint.className = "hint";
    hint.textContent = box.getAttribute("data-draft") + " · " + box.getAttribute("data-unused");
    about.append(code, hint);
    var button = null;
    if (dialog) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "button media__insert";
      button.setAttribute("data-media-insert", path);
      button.setAttribute("aria-haspopup", "dialog");
      button.textContent = box.getAttribute("data-insert");
      button.setAttribute("aria-label", box.getAttribute("data-insert") + " " + path.split("/").pop());
      about.append(button);
    }
    item.append(thumb, about);
    list.append(item);
    return button;
  }

  var form = box.querySelector("[data-media-upload]");
  form.addEventListener("submit", function (event) {
    if (!window.fetch || !window.FormData) { return; }
    event.preventDefault();
    var failed = box.getAttribute("data-failed");
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; },
        function () { return { ok: false, data: { message: failed } }; });
    }).then(function (result) {
      if (!result.ok) { showUploadError(result.data.message || failed); return; }
      showUploadError("");
      status.textContent = result.data.message;
      form.reset();
      var button = box.querySelector('[data-media-insert="' + CSS.escape(result.data.path) + '"]');
      if (!result.data.reused || !button) { button = addToList(result.data.path, result.data.url) || button; }
      if (dialog) { openDialog(result.data.path, button); }
    }).catch(function () { showUploadError(failed); });
  });
}());
