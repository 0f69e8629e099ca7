// The export progress page: poll the export's JSON until the file is ready, then show the link.
(function () {
  "use strict";
  var card = document.querySelector("[data-progress-url]");
  if (!card) return;
  var bar = card.querySelector(".progress");
  var fill = card.querySelector(".progress__bar");
  var state = card.querySelector(".export__state");
  var download = card.querySelector(".export__download");
  var finished = { done: true, failed: false, expired: true };

  function poll() {
    fetch(card.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        if (data.state !== card.dataset.state && (data.state === "done" || data.state === "failed" || data.state === "expired")) {
          window.location.reload(); // the page words the final state
          return;
        }
        card.dataset.state = data.state;
        fill.style.width = data.percent + "%";
        bar.setAttribute("aria-valuenow", data.percent);
        if (data.state === "running" && data.total) {
          state.textContent = state.textContent.replace(/\d+(\D+)\d+/, data.done + "$1" + data.total);
        }
        if (data.download_url) download.hidden = false;
        if (!finished[data.state]) window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  if (!finished[card.dataset.state]) window.setTimeout(poll, 1000);
})();
