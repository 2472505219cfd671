// The console's alarm banner: what is wrong on the box now (GET /api/v1/alarms), with a
// beep until muted. Muting silences the alarms shown now (kept in localStorage, so a reload
// stays quiet); an alarm raised later rings again, and so does one that clears and returns.
(function () {
  "use strict";
  var POLL_MS = 3000, BEEP_MS = 2000, KEY = "chrono-alarms-muted";
  var banner = document.getElementById("alarm-banner");
  if (!banner) return;
  var T = JSON.parse(document.getElementById("alarm-data").textContent);
  var list = document.getElementById("alarm-list");
  var count = document.getElementById("alarm-count");
  var button = document.getElementById("alarm-mute");
  var mutedNote = document.getElementById("alarm-muted");
  var esc = window.ChronoLive ? ChronoLive.escape : function (s) {
    return String(s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  };
  var active = [];
  var audio = null;

  function muted() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function keepMuted(keys) { localStorage.setItem(KEY, JSON.stringify(keys)); }
  function sounding() {
    var quiet = muted();
    return active.some(function (a) { return quiet.indexOf(a.key) < 0; });
  }
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.2;
      tone.connect(gain); gain.connect(audio.destination);
      tone.start(); tone.stop(audio.currentTime + 0.25);
    } catch (e) { /* no audio device: the banner still shows */ }
  }
  function render() {
    var ringing = sounding();
    banner.hidden = active.length === 0;
    banner.dataset.sounding = ringing ? "yes" : "no";
    count.textContent = active.length;
    mutedNote.hidden = !(active.length && !ringing);
    button.textContent = ringing ? button.dataset.mute : button.dataset.unmute;
    list.innerHTML = active.map(function (a) {
      var since = a.since_us ? " <span class=\"muted\">" +
        esc(T.since.replace("{time}", new Date(a.since_us / 1000).toLocaleTimeString())) + "</span>" : "";
      return '<li class="alarm ' + esc(a.severity) + '" data-key="' + esc(a.key) + '" data-code="' +
        esc(a.code) + '">' + esc(a.message) + since + "</li>";
    }).join("");
  }
  function refresh() {
    fetch("/api/v1/alarms/", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (alarms) {
        if (!alarms) return;
        active = alarms;
        // Forget the muting of alarms that cleared: if one comes back, it rings again.
        var keys = alarms.map(function (a) { return a.key; });
        keepMuted(muted().filter(function (k) { return keys.indexOf(k) >= 0; }));
        render();
      })
      .catch(function () { /* the box is restarting: try again at the next poll */ });
  }
  button.addEventListener("click", function () {
    keepMuted(sounding() ? active.map(function (a) { return a.key; }) : []);
    render();
  });
  setInterval(function () { if (sounding()) beep(); }, BEEP_MS);
  setInterval(refresh, POLL_MS);
  refresh();
})();
