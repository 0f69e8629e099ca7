// The module page: report reading time and completion, and read the text aloud.
(function () {
  "use strict";

  // --- progress -------------------------------------------------------------------------------
  // Only engaged time counts: the tab is visible and the trainee did something (scrolled, typed,
  // pointed, touched) in the last minute, or the text is being read aloud. It is sent as a
  // heartbeat; the server bounds it by the time that really passed and says what is still needed.
  var form = document.querySelector("[data-progress-form]");
  var end = document.querySelector("[data-module-end]");
  var statusLine = document.querySelector("[data-progress-status]");
  var timeLine = document.querySelector("[data-reading-time]");
  // The page's translated messages, in a JSON block (the Content-Security-Policy allows no inline script).
  var i18nBlock = document.querySelector("script#lms-i18n");
  var i18n = i18nBlock ? JSON.parse(i18nBlock.textContent) : {};
  var IDLE_AFTER = 60000;      // no activity for this long: not engaged
  var TICK = 5000;             // how often engagement is sampled
  var HEARTBEAT = 30000;       // how often engaged time is sent
  var engagedSeconds = 0;      // engaged, not yet accepted by the server
  var lastTick = Date.now();
  var lastActivity = Date.now();
  var lastReport = Date.now();
  var speaking = false;        // set by read-aloud below
  var reachedEnd = false;
  var completed = statusLine && statusLine.getAttribute("data-state") === "completed";
  var sending = false;
  var again = false;           // something to report came up while a report was on its way

  function fill(template, minutes) { return (template || "").replace("{minutes}", String(minutes)); }

  function isEngaged(now) {
    return document.visibilityState === "visible" && (speaking || now - lastActivity <= IDLE_AFTER);
  }

  function tick() {
    var now = Date.now();
    if (isEngaged(now)) {
      engagedSeconds += Math.min(Math.max(0, now - lastTick), 2 * TICK) / 1000;
    }
    lastTick = now;
  }

  function activity() { lastActivity = Date.now(); }

  function payload() {
    tick();
    var data = new FormData(form);
    data.set("seconds", String(Math.floor(engagedSeconds)));
    if (reachedEnd) { data.set("reached_end", "y"); } else { data.delete("reached_end"); }
    return data;
  }

  function showCompleted(result) {
    completed = true;
    if (timeLine) { timeLine.hidden = true; }
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

  function showRemaining(result) {
    if (timeLine) {
      timeLine.textContent = fill(i18n.remaining, result.remaining_minutes);
      timeLine.setAttribute("data-remaining-seconds", String(result.remaining_seconds));
      timeLine.hidden = result.remaining_seconds <= 0;
    }
    if (statusLine && result.reached_end) {
      statusLine.textContent = fill(i18n.moreNeeded, result.remaining_minutes);
      statusLine.setAttribute("data-state", "time-needed");
    }
  }

  function report() {
    if (!form) { return Promise.resolve(); }
    if (sending) { again = true; return Promise.resolve(); }
    var data = payload();
    var sent = Math.floor(engagedSeconds);
    var withEnd = reachedEnd;
    sending = true;
    lastReport = Date.now();
    return fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (result) {
      engagedSeconds = Math.max(0, engagedSeconds - sent);
      if (!completed) {
        if (result.completed) { showCompleted(result); } else { showRemaining(result); }
      }
    }).catch(function () {
      if (statusLine && withEnd && !completed) { statusLine.textContent = i18n.saveFailed || ""; }
    }).then(function () {
      sending = false;
      if (again) { again = false; report(); }
    });
  }

  if (form && end) {
    report();  // the visit: opening the page records nothing, its first report does
    ["scroll", "keydown", "pointerdown", "pointermove", "touchstart", "wheel"].forEach(function (name) {
      window.addEventListener(name, activity, { passive: true, capture: true });
    });
    if ("IntersectionObserver" in window) {
      new IntersectionObserver(function (entries, observer) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting && !reachedEnd) {
            reachedEnd = true;
            observer.disconnect();
            activity();
            report();
          }
        });
      }).observe(end);
    }
    setInterval(function () {
      tick();
      if (Date.now() - lastReport >= HEARTBEAT && engagedSeconds >= 1) { report(); }
    }, TICK);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && navigator.sendBeacon) {
        if (navigator.sendBeacon(form.action, payload())) { engagedSeconds = 0; }
      } else {
        lastTick = Date.now();
        activity();
      }
    });
    form.addEventListener("submit", function () {
      form.querySelector("[name=seconds]").value = String(Math.floor((tick(), engagedSeconds)));
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

  var noVoiceHint = controls.querySelector("[data-no-chinese-voice]");
  function checkVoices(loaded) {
    // An empty list may only mean the voices are still loading, unless the browser said it is done.
    var voices = synth.getVoices();
    if (noVoiceHint && (voices.length || loaded) && !chineseVoice()) { noVoiceHint.hidden = false; }
  }
  checkVoices(false);
  if (typeof synth.addEventListener === "function") {
    synth.addEventListener("voiceschanged", function () { checkVoices(true); });
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
    speaking = false;
    controls.classList.remove("read-aloud--active");
    synth.cancel();
    highlight(null);
    label("play");
    playButton.setAttribute("aria-pressed", "false");
    stopButton.hidden = true;
  }

  playButton.addEventListener("click", function () {
    if (state === "idle") {
      checkVoices(true);
      blocks = collectBlocks();
      state = "speaking";
      speaking = true;
      controls.classList.add("read-aloud--active");
      label("pause");
      playButton.setAttribute("aria-pressed", "true");
      stopButton.hidden = false;
      synth.cancel();
      speakFrom(0);
    } else if (state === "speaking") {
      state = "paused";
      speaking = false;
      synth.pause();
      label("resume");
    } else {
      state = "speaking";
      speaking = true;
      synth.resume();
      label("pause");
    }
  });
  stopButton.addEventListener("click", stop);
  window.addEventListener("pagehide", function () { synth.cancel(); });
})();
