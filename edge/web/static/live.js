// Live parts of the pages: Server-Sent Events that reconnect by themselves.
// ChronoLive.stream(url, {eventName: handler}) keeps one EventSource open; the
// browser reconnects after a drop, and the header shows "Reconnecting…" meanwhile.
(function () {
  "use strict";
  function showState(ok) {
    var badge = document.getElementById("live-state");
    if (badge) badge.hidden = ok;
  }
  function stream(url, handlers) {
    var source = new EventSource(url);
    source.onopen = function () { showState(true); };
    source.onerror = function () { showState(false); };
    Object.keys(handlers).forEach(function (name) {
      source.addEventListener(name, function (event) {
        var data;
        try { data = JSON.parse(event.data); } catch (e) { data = event.data; }
        handlers[name](data, event);
      });
    });
    return source;
  }
  function escape(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }
  window.ChronoLive = { stream: stream, escape: escape };
})();
