// The clock panel (/setup, console): its HTML again every 15 s, so a clock that becomes
// synchronised (or stops being) shows without a reload.
(function () {
  "use strict";
  var EVERY_MS = 15000;
  function refresh() {
    var panel = document.getElementById("clock-panel");
    if (!panel) { return; }
    fetch("/clock/panel", { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var fresh = holder.querySelector("#clock-panel");
        if (fresh) { panel.replaceWith(fresh); }
      })
      .catch(function () { /* the next round tries again */ });
  }
  setInterval(refresh, EVERY_MS);
}());
