// The training summary editor: count characters and save the draft as the trainee types.
(function () {
  "use strict";
  var form = document.querySelector("[data-summary-form]");
  if (!form) { return; }
  // The page's translated messages, in a JSON block (the Content-Security-Policy allows no inline script).
  var i18nBlock = document.querySelector("script#lms-i18n");
  var i18n = i18nBlock ? JSON.parse(i18nBlock.textContent) : {};
  var body = form.querySelector("textarea[name=body]");
  var counter = form.querySelector("[data-char-count]");
  var status = form.querySelector("[data-save-status]");
  var minimum = parseInt(form.getAttribute("data-min"), 10) || 0;
  var timer = null;

  function count() {
    var n = body.value.replace(/\s+/g, "").length;
    counter.textContent = (i18n.count || "").replace("%(count)d", n).replace("%(min)d", minimum);
    counter.classList.toggle("char-count--short", n < minimum);
  }

  function save() {
    var data = new FormData(form);
    data.set("action", "draft");
    fetch(window.location.pathname, {
      method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.status === 400) {  // refused (too long, a control character): say why; typing saves again
        return response.json().then(function (data) { status.textContent = data.message || i18n.saveFailed || ""; });
      }
      if (!response.ok) { throw new Error(String(response.status)); }
      status.textContent = (i18n.saved || "") + " " + new Date().toLocaleTimeString();
      form.setAttribute("data-saved", "true");
    }).catch(function () {
      status.textContent = i18n.saveFailed || "";
      timer = setTimeout(save, 5000);
    });
  }

  body.addEventListener("input", function () {
    count();
    form.removeAttribute("data-saved");
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  });
  count();
})();
