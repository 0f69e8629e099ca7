// The module page: report reading time and completion, and read the text aloud.
(function () {
  "use strict";

  // --- progress -------------------------------------------------------------------------------
  var form = document.querySelector("[data-progress-form]");
  var end = document.querySelector("[data-module-end]");
  var statusLine = document.querySelector("[data-progress-status]");
  var i18n = window.LMS_I18N || {};
  var activeSeconds = 0;
  var lastTick = Date.now();
  var reachedEnd = false;
  var reportedEnd = false;

  function tick() {
    var now = Date.now();
    if (document.visibilityState === "visible") {
      activeSeconds += Math.min(now - lastTick, 60000) / 1000;
    }
    lastTick = now;
  }

  function payload(withEnd) {
    tick();
    var data = new FormData(form);
    data.set("seconds", String(Math.round(activeSeconds)));
    if (withEnd) { data.set("reached_end", "y"); } else { data.delete("reached_end"); }
    return data;
  }

  function report(withEnd) {
    if (!form) { return Promise.resolve(); }
    var data = payload(withEnd);
    var sent = activeSeconds;
    return fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (result) {
      activeSeconds = Math.max(0, activeSeconds - Math.round(sent));
      if (result.completed && withEnd) {
        reportedEnd = true;
        if (statusLine) {
          statusLine.textContent = i18n.completed || "";
          statusLine.setAttribute("data-state", "completed");
        }
        var locked = document.querySelector("[data-next-locked]");
        if (locked) {
          var link = document.createElement("a");
          link.href = locked.getAttribute("data-href");
          link.className = "pager__next";
          link.rel = "next";
          link.textContent = locked.textContent;
          locked.replaceWith(link);
        }
        document.dispatchEvent(new CustomEvent("lms:module-completed", { detail: result }));
      }
    }).catch(function () {
      if (statusLine && withEnd) { statusLine.textContent = i18n.saveFailed || ""; }
      if (withEnd) { setTimeout(function () { report(true); }, 10000); }
    });
  }

  if (form && end) {
    if ("IntersectionObserver" in window) {
      new IntersectionObserver(function (entries, observer) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting && !reachedEnd) {
            reachedEnd = true;
            observer.disconnect();
            report(true);
          }
        });
      }).observe(end);
    }
    setInterval(tick, 5000);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && navigator.sendBeacon) {
        var data = payload(reachedEnd && !reportedEnd);
        if (navigator.sendBeacon(form.action, data)) { activeSeconds = 0; }
      } else {
        lastTick = Date.now();
      }
    });
    form.addEventListener("submit", function () {
      form.querySelector("[name=seconds]").value = String(Math.round((tick(), activeSeconds)));
    });
  }

  // --- read aloud ------------------------------------------------------------------------------
  var controls = document.querySelector("[data-read-aloud]");
  var source = document.querySelector("[data-read-source]");
  var synth = window.speechSynthesis;
  if (!controls || !source || !synth || typeof window.SpeechSynthesisUtterance !== "function") {
    return;
  }
  controls.hidden = false;
  var playButton = controls.querySelector("[data-action=play]");
  var stopButton = controls.querySelector("[data-action=stop]");
  var rateSelect = controls.querySelector("[data-action=rate]");
  var blocks = [];
  var index = 0;
  var state = "idle"; // idle | speaking | paused

  function chineseVoice() {
    var voices = synth.getVoices();
    return voices.filter(function (v) { return /^zh[-_]CN/i.test(v.lang); })[0] ||
      voices.filter(function (v) { return /^zh/i.test(v.lang); })[0] || null;
  }

  function collectBlocks() {
    var nodes = document.querySelectorAll(
      ".module__head h1, .objectives li, [data-read-source] h2, [data-read-source] h3, " +
      "[data-read-source] p, [data-read-source] li, [data-read-source] tr");
    return Array.prototype.filter.call(nodes, function (node) {
      return node.textContent.trim() && !node.querySelector("p, li");
    });
  }

  function label(name) {
    ["play", "pause", "resume"].forEach(function (n) {
      playButton.querySelector("[data-label-" + n + "]").hidden = n !== name;
    });
  }

  function highlight(node) {
    document.querySelectorAll(".reading-now").forEach(function (n) { n.classList.remove("reading-now"); });
    if (node) {
      node.classList.add("reading-now");
      node.scrollIntoView({ block: "center", behavior: "smooth" });
    }
  }

  function speakFrom(i) {
    if (i >= blocks.length) { stop(); return; }
    index = i;
    var node = blocks[i];
    var utterance = new SpeechSynthesisUtterance(node.textContent.replace(/\s+/g, " ").trim());
    utterance.lang = "zh-CN";
    var voice = chineseVoice();
    if (voice) { utterance.voice = voice; }
    utterance.rate = parseFloat(rateSelect.value) || 1;
    utterance.onend = function () { if (state === "speaking") { speakFrom(index + 1); } };
    highlight(node);
    synth.speak(utterance);
  }

  function stop() {
    state = "idle";
    controls.classList.remove("read-aloud--active");
    synth.cancel();
    highlight(null);
    label("play");
    playButton.setAttribute("aria-pressed", "false");
    stopButton.hidden = true;
  }

  playButton.addEventListener("click", function () {
    if (state === "idle") {
      blocks = collectBlocks();
      state = "speaking";
      controls.classList.add("read-aloud--active");
      label("pause");
      playButton.setAttribute("aria-pressed", "true");
      stopButton.hidden = false;
      synth.cancel();
      speakFrom(0);
    } else if (state === "speaking") {
      state = "paused";
      synth.pause();
      label("resume");
    } else {
      state = "speaking";
      synth.resume();
      label("pause");
    }
  });
  stopButton.addEventListener("click", stop);
  window.addEventListener("pagehide", function () { synth.cancel(); });
})();
