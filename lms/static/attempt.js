// Taking a quiz: save each answer as it changes, count down the time limit, submit at the end.
(function () {
  "use strict";
  var form = document.querySelector("[data-attempt-form]");
  if (!form) { return; }
  // The page's translated messages, in a JSON block (the Content-Security-Policy allows no inline script).
  var i18nBlock = document.querySelector("script#lms-i18n");
  var i18n = i18nBlock ? JSON.parse(i18nBlock.textContent) : {};
  var status = document.querySelector("[data-save-status]");
  var dirty = false;
  var saving = false;
  var timer = null;

  function say(text) { if (status) { status.textContent = text; } }

  function save() {
    if (saving) { timer = setTimeout(save, 500); return; }
    saving = true;
    dirty = false;
    fetch(form.getAttribute("data-save-url"), {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      saving = false;
      if (result.data.closed) { window.location = result.data.review; return; }
      // an answer the server refused (too long, a control character): say why; the next change saves
      if (result.data.error) { dirty = true; say(result.data.error); return; }
      if (!result.ok) { throw new Error("save"); }
      say((i18n.saved || "") + " " + new Date().toLocaleTimeString());
      form.setAttribute("data-saved", "true");
    }).catch(function () {
      saving = false;
      dirty = true;
      say(i18n.saveFailed || "");
      timer = setTimeout(save, 5000);
    });
  }

  function changed() {
    dirty = true;
    form.removeAttribute("data-saved");
    clearTimeout(timer);
    timer = setTimeout(save, 400);
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", function (event) {
    if (event.target.matches("input[type=text], textarea")) { changed(); }
  });
  form.addEventListener("submit", function (event) {
    var button = form.querySelector("[data-confirm]");
    if (!form.hasAttribute("data-time-up") && button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    dirty = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  // The server enforces the deadline; the countdown only tells the trainee, and submits in time.
  var clock = document.querySelector("[data-deadline]");
  if (clock) {
    var offset = Date.parse(clock.getAttribute("data-now")) - Date.now();
    var deadline = Date.parse(clock.getAttribute("data-deadline"));
    var left = clock.querySelector("[data-time-left]");
    var tick = function () {
      var seconds = Math.max(0, Math.floor((deadline - (Date.now() + offset)) / 1000));
      var minutes = Math.floor(seconds / 60);
      left.textContent = minutes + ":" + String(seconds % 60).padStart(2, "0");
      clock.classList.toggle("timer--low", seconds < 60);
      if (seconds <= 0) {
        say(i18n.timeUp || "");
        form.setAttribute("data-time-up", "true");
        form.submit();
        return;
      }
      setTimeout(tick, 1000);
    };
    tick();
  }
})();
