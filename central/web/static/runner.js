// Spectator pages of central (runner, follow, widget): live updates and the follow list.
// The page asks for its own URL again every data-poll-s seconds; the browser revalidates
// with the ETag (a CDN answers 304 while nothing changed) and the #runner block is swapped.
// The follow list lives in this browser only (localStorage), never in a cookie.
"use strict";

(function () {
  const root = document.getElementById("runner");

  function followKey(event) { return "chronoedge.follow." + event; }

  function followed(event) {
    try {
      const list = JSON.parse(localStorage.getItem(followKey(event)) || "[]");
      return Array.isArray(list) ? list.map(String) : [];
    } catch (error) {
      return [];
    }
  }

  function setFollowed(event, bibs) {
    localStorage.setItem(followKey(event), JSON.stringify(bibs.slice(0, 20)));
  }

  function followLink(event) {
    const link = document.getElementById("followed-link");
    const bibs = followed(event);
    if (link && bibs.length) {
      const url = new URL(link.href, location.href);
      url.searchParams.set("bibs", bibs.join(","));
      link.href = url.pathname + url.search;
    }
  }

  function wireFollow() {
    const button = document.getElementById("follow");
    const block = document.getElementById("runner");
    if (!button || !block) return;
    const event = block.dataset.event, bib = block.dataset.bib;
    const show = () => {
      const on = followed(event).includes(bib);
      button.textContent = on ? button.dataset.unfollow : button.dataset.follow;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      followLink(event);
    };
    button.hidden = false;
    button.addEventListener("click", () => {
      const bibs = followed(event).filter((b) => b !== bib);
      if (bibs.length === followed(event).length) bibs.push(bib);
      setFollowed(event, bibs);
      show();
    });
    show();
  }

  function followPage() {
    const block = document.getElementById("runner");
    if (!block || !("followPage" in block.dataset)) return false;
    const event = block.dataset.event;
    const stored = followed(event);
    if (!block.dataset.bibs && stored.length) {
      const url = new URL(location.href);
      url.searchParams.set("bibs", stored.join(","));
      location.replace(url.pathname + url.search);
      return true;
    }
    return false;
  }

  async function refresh() {
    try {
      const answer = await fetch(location.href, { cache: "no-cache", credentials: "omit" });
      if (!answer.ok) return;
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.getElementById("runner");
      const current = document.getElementById("runner");
      if (fresh && current && fresh.outerHTML !== current.outerHTML) {
        current.replaceWith(document.adoptNode(fresh));
        wireFollow();
      }
    } catch (error) {
      // Offline for a moment (a phone in a tunnel): the next round tries again.
    }
  }

  if (!root || followPage()) return;
  wireFollow();
  const seconds = Number(root.dataset.pollS || "0");
  if (seconds > 0) setInterval(refresh, seconds * 1000);
})();
