// Paged lists (results, entrants): search as one types, change pages, redraw on news,
// all without reloading the page. The server sends only the rows of one page: the
// regions named by id come from `rowsPath` (the page's own query, same parameters)
// and replace their twins here. Without JavaScript the same links and form work.
//
// ChronoPaged.attach({search: input, rowsPath: "/results/rows", regions: ["tabs", ...],
//                     beforeSwap: function (here, fresh) {},
//                     version: function () { return "the version shown"; }})
//   -> {reload(), busy()}
// With `version`, a search or a page change asks for rows of the version shown or newer
// (the server answers at once from what it has); reload() asks for the newest.
(function () {
  "use strict";
  // Short enough to feel instant, long enough that a burst of keys sends one request.
  var TYPING_PAUSE_MS = 30;

  function attach(options) {
    var search = options.search;
    var pending = null; // the AbortController of the request in flight, if any

    function rowsUrl(url, settled) {
      var rows = new URL(url);
      rows.pathname = options.rowsPath;
      var version = settled && options.version ? options.version() : "";
      if (version) rows.searchParams.set("version", version);
      return rows;
    }
    function currentUrl() {
      var url = new URL(location.href);
      var query = search.value.trim();
      if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
      return url;
    }
    // Fetch the rows of `url` and swap them in; a newer request cancels an older one,
    // so the rows shown are always those of the last search typed.
    async function load(url, newest) {
      if (pending) pending.abort();
      var mine = pending = new AbortController();
      try {
        var answer = await fetch(rowsUrl(url, !newest), { headers: { "Accept": "text/html" }, signal: mine.signal });
        if (!answer.ok) return false;
        var doc = new DOMParser().parseFromString(await answer.text(), "text/html");
        if (mine !== pending) return false;
        options.regions.forEach(function (id) {
          var here = document.getElementById(id);
          var fresh = doc.getElementById(id);
          if (!here || !fresh) return;
          if (options.beforeSwap) options.beforeSwap(here, fresh);
          here.innerHTML = fresh.innerHTML;
          Object.keys(fresh.dataset).forEach(function (key) { here.dataset[key] = fresh.dataset[key]; });
        });
        return true;
      } catch (error) {
        if (error.name === "AbortError") return false;
        throw error;
      } finally {
        if (mine === pending) pending = null;
      }
    }

    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var url = currentUrl();
        url.searchParams.delete("page"); // a new search starts at its first page
        history.replaceState(null, "", url);
        load(url);
      }, TYPING_PAUSE_MS);
    });
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[data-page]");
      if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      history.pushState(null, "", link.href);
      // A "Next" at the foot of a long page: show the new rows from their top.
      load(new URL(link.href)).then(function (swapped) {
        var rows = swapped && document.getElementById(options.regions[options.regions.length - 1]);
        if (rows && rows.getBoundingClientRect().top < 0) rows.scrollIntoView();
      });
    });
    window.addEventListener("popstate", function () {
      search.value = new URL(location.href).searchParams.get("q") || "";
      load(new URL(location.href));
    });
    return {
      reload: function () { return load(currentUrl(), true); },
      busy: function () { return pending !== null; },
    };
  }
  window.ChronoPaged = { attach: attach };
})();
