// The timing console: live passings (SSE), keyboard-first manual entry, corrections.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("console-data").textContent);
  var T = data.texts;
  var esc = ChronoLive.escape;
  var base = "/api/v1/events/" + encodeURIComponent(data.slug);
  var body = document.querySelector("#passings tbody");
  var bib = document.getElementById("bib");
  var operator = document.getElementById("operator");
  var MAX_ROWS = 150;

  operator.value = localStorage.getItem("chrono-operator") || "operator";
  operator.addEventListener("change", function () {
    localStorage.setItem("chrono-operator", operator.value.trim() || "operator");
  });

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k] == null ? "" : values[k]; });
  }
  function say(id, text, ok) {
    var box = document.getElementById(id);
    box.textContent = text;
    box.style.color = ok ? "var(--ok)" : "var(--bad)";
  }
  function post(url, payload) {
    return fetch(url, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; });
    });
  }
  function who() { return operator.value.trim() || "operator"; }

  // --- passings table ---------------------------------------------------------
  function cells(row) {
    var badge = "";
    if (row.state === "ignored") badge = '<span class="badge bad">' + esc(T.ignored) + "</span>";
    else if (row.state === "moved") badge = '<span class="badge warn">' + esc(T.moved) + "</span> <span class=\"muted\">" + esc(fill(T.was, { time: row.original_time })) + "</span>";
    else if (row.state === "added") badge = '<span class="badge ok">' + esc(T.addedBadge) + "</span>";
    else if (row.status === "confirms") badge = '<span class="badge ok">' + esc(T.confirms) + "</span>";
    else if (row.status === "review") badge = '<span class="badge warn">' + esc(T.review) + "</span>";
    else if (row.status !== "valid") badge = '<span class="badge">' + esc(T.stray) + "</span>";
    if (row.clock_offset_us !== null && row.clock_offset_us !== undefined) {
      // Made on a SLAVE whose clock was off the MASTER's: shown, not silently trusted.
      var offset = (row.clock_offset_us >= 0 ? "+" : "") + (row.clock_offset_us / 1000).toFixed(1);
      badge += ' <span class="badge bad clock-mark" title="' + esc(T.clockMarkTitle) + '">' +
        esc(fill(T.clockMark, { offset: offset })) + "</span>";
    }
    var who = row.bib ? esc(row.name) : '<span class="muted">' + esc(T.unknownTag) + " " + esc(row.epc || "") + "</span>";
    var actions = "";
    if (row.correction_id) actions += '<button type="button" class="secondary" data-undo="' + esc(row.correction_id) + '">' + esc(T.undo) + "</button> ";
    if (row.state !== "ignored" && row.state !== "added" && row.status === "valid") {
      actions += '<button type="button" class="secondary" data-move>' + esc(T.move) + "</button> ";
      actions += '<button type="button" class="danger" data-ignore>' + esc(T.ignore) + "</button>";
    }
    return '<td class="time">' + esc(row.time) + "</td><td>" + esc(row.point) + '</td><td class="bib">' +
      esc(row.bib || "") + "</td><td>" + who + "</td><td>" + esc(row.method) + "</td><td>" + badge +
      '</td><td class="actions">' + actions + "</td>";
  }
  function show(row, live) {
    var tr = body.querySelector('tr[data-id="' + CSS.escape(row.id) + '"]');
    if (row.state === "undone") { if (tr) tr.remove(); return; }
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.id = row.id;
      tr.dataset.createdUs = row.created_us;
      tr.dataset.shownMs = String(Date.now());
      if (live) tr.dataset.live = "1";
      // Newest stored first.
      var after = null;
      for (var i = 0; i < body.rows.length; i++) {
        if (Number(body.rows[i].dataset.createdUs) < row.created_us) { after = body.rows[i]; break; }
      }
      body.insertBefore(tr, after);
      if (live) tr.classList.add("fresh");
      while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
    }
    tr.row = row;
    tr.className = (live ? "fresh " : "") + (row.state || "") + (row.status !== "valid" ? " stray" : "");
    tr.dataset.state = row.state || "";
    tr.dataset.bib = row.bib || "";
    tr.dataset.point = row.point;
    tr.innerHTML = cells(row);
  }
  data.rows.slice().reverse().forEach(function (row) { show(row, false); });

  body.addEventListener("click", function (e) {
    var button = e.target.closest("button");
    if (!button) return;
    var tr = button.closest("tr");
    var row = tr.row;
    if (button.hasAttribute("data-undo")) {
      undo(button.getAttribute("data-undo"));
    } else if (button.hasAttribute("data-ignore")) {
      correct({ kind: "ignore", passing_id: row.id }, true);
    } else if (button.hasAttribute("data-move")) {
      moveForm(tr, row);
    } else if (button.hasAttribute("data-cancel")) {
      show(row, false); bib.focus();
    }
  });
  function moveForm(tr, row) {
    var cell = tr.querySelector(".actions");
    var options = data.points.map(function (p) {
      return "<option" + (p === row.point ? " selected" : "") + ">" + esc(p) + "</option>";
    }).join("");
    cell.innerHTML = '<form class="move"><input name="time" size="11" value="' + esc(row.time) +
      '"> <select name="point">' + options + '</select> <button type="submit">' + esc(T.ok) +
      '</button> <button type="button" class="secondary" data-cancel>' + esc(T.cancel) + "</button></form>";
    var form = cell.querySelector("form");
    form.time.focus(); form.time.select();
    form.addEventListener("keydown", function (e) { if (e.key === "Escape") { show(row, false); bib.focus(); } });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var payload = { kind: "move", passing_id: row.id, time: form.time.value };
      if (form.point.value !== row.point) payload.point = form.point.value;
      correct(payload, true);
    });
  }
  // Once a race is signed off a change needs a reason: a form with a reason field shows
  // the refusal; a one-click action (ignore, move, undo) asks for the reason and retries.
  function withReason(send, payload, ask) {
    return send(payload).then(function (r) {
      if (!(ask && r.status === 400 && r.body.error === "ReasonRequired")) return r;
      var reason = window.prompt(T.askReason + "\n\n" + (r.body.detail || ""), "");
      if (!reason || !reason.trim()) return r;
      payload.reason = reason.trim();
      return send(payload);
    }).then(function (r) { if (r.status < 300) refreshStates(); return r; });
  }
  function correct(payload, ask) {
    payload.by = who();
    return withReason(function (p) { return post(base + "/corrections/", p); }, payload, ask).then(function (r) {
      say("correction-outcome", r.status < 300 ? T.done : (r.body.detail || T.error), r.status < 300);
      bib.focus();
      return r;
    });
  }
  function undo(id) {
    var url = base + "/corrections/" + encodeURIComponent(id) + "/undo";
    return withReason(function (p) { return post(url, p); }, { by: who() }, true).then(function (r) {
      say("correction-outcome", r.status < 300 ? T.undone : (r.body.detail || T.error), r.status < 300);
      bib.focus();
    });
  }

  // --- provisional, then official -------------------------------------------------
  var states = document.querySelector("#race-states tbody");
  function stateLabel(s) {
    if (s.state === "official") return fill(T.official, { n: s.version });
    return T.provisional + (s.version > 1 ? " v" + s.version : "");
  }
  function showStates(list) {
    list.forEach(function (s) {
      var tr = states.querySelector('tr[data-race="' + CSS.escape(s.race) + '"]');
      if (!tr) return;
      tr.dataset.state = s.state;
      tr.dataset.version = s.version;
      var badge = tr.querySelector(".state");
      badge.className = "badge state " + (s.state === "official" ? "ok" : "warn");
      badge.textContent = stateLabel(s);
      tr.querySelector(".signed").textContent = s.state === "official" ? fill(T.signedBy, { name: s.signed_by })
        : (s.reason ? fill(T.reopened, { reason: s.reason }) : "");
    });
  }
  function refreshStates() {
    return fetch(base + "/results/state").then(function (r) { return r.ok ? r.json() : []; }).then(showStates);
  }
  var signoff = document.getElementById("signoff-form");
  signoff.addEventListener("submit", function (e) {
    e.preventDefault();
    var race = signoff.race.value;
    post(base + "/results/" + encodeURIComponent(race) + "/signoff", { name: signoff.name.value }).then(function (r) {
      if (r.status >= 300) { say("signoff-outcome", r.body.detail || T.error, false); return; }
      say("signoff-outcome", fill(T.closed, { race: race, n: r.body.version }), true);
      signoff.name.value = "";
      refreshStates();
    });
  });

  // --- corrections list -------------------------------------------------------
  var list = document.querySelector("#corrections tbody");
  function showCorrection(c) {
    var tr = list.querySelector('tr[data-id="' + CSS.escape(c.id) + '"]');
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.id = c.id;
      list.insertBefore(tr, list.firstChild);
      while (list.rows.length > 20) list.deleteRow(list.rows.length - 1);
    }
    var what = [T["kind_" + c.kind] || c.kind, c.chip || "", c.bib ? "#" + c.bib : "", c.point || "", c.time || "", c.status || "", c.reason].filter(Boolean).join(" ");
    tr.className = c.active ? "" : "muted";
    tr.innerHTML = "<td>" + esc(what) + '<br><span class="muted">' + esc(fill(T.by, { name: c.by })) +
      (c.active ? "" : " · " + esc(T.undone)) + '</span></td><td class="actions">' +
      (c.active ? '<button type="button" class="secondary" data-undo="' + esc(c.id) + '">' + esc(T.undo) + "</button>" : "") + "</td>";
  }
  data.corrections.slice().reverse().forEach(showCorrection);
  list.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-undo]");
    if (button) undo(button.getAttribute("data-undo"));
  });

  // --- backup line: pairs to review ---------------------------------------------
  var review = document.querySelector("#review tbody");
  review.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-choose]");
    if (!button) return;
    var tr = button.closest("tr");
    var payload = { kind: "choose", passing_id: tr.getAttribute("data-backup"),
                    status: button.getAttribute("data-choose"), reason: T.chosenReason };
    correct(payload).then(function (r) {
      if (r.status >= 300) return;
      tr.remove();
      document.getElementById("review-count").textContent = review.rows.length;
      if (!review.rows.length) document.getElementById("review-card").hidden = true;
    });
  });

  // --- board: counts, points, unknown tags -------------------------------------
  function showBoard(board) {
    Object.keys(board.counts).forEach(function (k) {
      var el = document.getElementById("count-" + k);
      if (el) el.textContent = board.counts[k];
    });
    board.points.forEach(function (p) {
      var card = document.querySelector('.point[data-point="' + CSS.escape(p.code) + '"]');
      if (!card) return;
      card.className = "card point " + p.state;
      card.querySelector(".state").textContent = T[p.state] || p.state;
      card.title = p.last_error || p.readers.join(", ");
      var top = Math.max.apply(null, p.spark.concat([1]));
      card.querySelector("polyline").setAttribute("points", p.spark.map(function (v, i) {
        return i + "," + (19 - (v / top) * 18).toFixed(1);
      }).join(" "));
      card.querySelector(".rate").textContent = p.spark[p.spark.length - 2] || 0;
    });
    document.querySelector("#unknown tbody").innerHTML = board.unknown.map(function (u) {
      return "<tr><td><code>" + esc(u.epc) + "</code></td><td>" + esc(u.point) + '</td><td class="num">' +
        esc(u.passings) + '</td><td class="time">' + esc(u.last) + "</td></tr>";
    }).join("");
  }
  showBoard(data.board);

  // --- manual entry -----------------------------------------------------------
  var entry = document.getElementById("entry");
  entry.addEventListener("submit", function (e) {
    e.preventDefault();
    var typed = bib.value.trim();
    if (!typed) return;
    var point = entry.point.value;
    bib.value = "";
    post(base + "/points/" + encodeURIComponent(point) + "/manual/", { bib: typed }).then(function (r) {
      if (r.status >= 300) { say("outcome", (r.body.detail || T.error), false); return; }
      var values = { bib: typed, point: point, time: "" };
      values.time = new Date().toLocaleTimeString();
      if (!r.body.known_bib) say("outcome", fill(T.unknown, values), false);
      else if (!r.body.added) say("outcome", fill(T.duplicate, values), false);
      else say("outcome", fill(T.added, values), true);
    });
    bib.focus();
  });
  document.addEventListener("keydown", function (e) {
    // Escape (outside a form being edited) brings the cursor back to the bib box.
    if (e.key === "Escape" && !e.target.closest("form.move")) bib.focus();
  });
  [document.getElementById("status-form"), document.getElementById("add-form")].forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var payload = { kind: form.id === "status-form" ? "status" : "add", bib: form.bib.value, reason: form.reason.value };
      if (form.id === "status-form") payload.status = form.status.value || null;
      else { payload.point = form.point.value; payload.time = form.time.value; }
      correct(payload).then(function (r) { if (r.status < 300) form.reset(); });
    });
  });

  // --- live --------------------------------------------------------------------
  function connect() {
    var source = ChronoLive.stream(base + "/passings/stream?after=" + data.cursor, {
      passing: function (row) { show(row, true); },
      removed: function (gone) {
        var tr = body.querySelector('tr[data-id="' + CSS.escape(gone.id) + '"]');
        if (tr) tr.remove();
      },
      correction: showCorrection,
      board: showBoard
    });
    // The browser retries a dropped stream by itself, but not one the box refused (503
    // when it serves too many streams): reopen that one (rows already shown are updated).
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000);
    });
  }
  connect();
})();
