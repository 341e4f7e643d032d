// Keeps a player's page current without reloading: polls the page's API (/api/me for the
// dashboard, /api/leaderboard for the leaderboard; a 304 when nothing changed) and, when it has
// changed, swaps in the page's fresh <main>. Without JavaScript the pages are plain forms and
// links, and a reload shows the same thing.
(function () {
  "use strict";
  var body = document.body;
  var url = body.dataset.pollUrl;
  if (!url || !window.fetch) return;
  var etag = body.dataset.etag;
  var interval = 5000;

  function busy() {
    // Never throw away what a player is typing.
    var field = document.activeElement;
    if (field && field.tagName === "INPUT") return true;
    return Array.prototype.some.call(document.querySelectorAll("main input:not([type=hidden])"), function (input) {
      return input.value !== "";
    });
  }

  function newestNotice(root) {
    return Math.max.apply(null, [0].concat(Array.prototype.map.call(root.querySelectorAll("[data-notice]"), function (item) {
      return Number(item.dataset.notice);
    })));
  }

  function banner(fresh, since) {
    // The notices that came with this change, on top of the page: why it changed under the player.
    var items = Array.prototype.filter.call(fresh.querySelectorAll("[data-notice]"), function (item) {
      return Number(item.dataset.notice) > since;
    });
    if (!items.length) return;
    var box = document.createElement("div");
    box.className = "message notice-banner";
    box.setAttribute("role", "status");
    items.forEach(function (item) {
      var line = document.createElement("p");
      line.textContent = item.lastChild.textContent.trim();
      box.appendChild(line);
    });
    fresh.prepend(box);
  }

  function refresh() {
    return fetch(location.href, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        if (!fresh) return;
        banner(fresh, newestNotice(document));
        document.querySelector("main").replaceWith(fresh);
      });
  }

  function poll() {
    if (document.hidden) return schedule();
    fetch(url, { credentials: "same-origin", headers: { "If-None-Match": etag } })
      .then(function (response) {
        var tag = response.headers.get("ETag");
        if (response.status === 200 && tag && tag !== etag && !busy()) {
          etag = tag;
          return refresh();
        }
      })
      .catch(function () { /* offline for a moment: try again at the next tick */ })
      .then(schedule);
  }

  function schedule() {
    // Jitter spreads a room full of phones over the interval.
    setTimeout(poll, interval * (0.8 + Math.random() * 0.4));
  }

  schedule();
})();
