// Live progress of broadcasts: the bars and counts update without reloading
// the page. Without JavaScript the page refreshes itself instead.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root || !window.fetch) return;
  var url = root.getAttribute("data-live");
  function set(card, key, text) {
    var el = card.querySelector("[data-k=" + key + "]");
    if (el && text !== undefined) el.textContent = text;
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (items) {
        var live = false;
        items.forEach(function (b) {
          var card = document.getElementById("b-" + b.id);
          if (!card) return;
          set(card, "status", b.status);
          set(card, "progress", b.progress);
          set(card, "counts", b.counts);
          set(card, "rate", b.rate);
          var bar = card.querySelector("progress");
          if (bar && b.audience > 0) {
            bar.max = b.audience;
            bar.value = b.done;
          }
          if (b.live) live = true;
        });
        if (live) setTimeout(tick, 3000);
      })
      .catch(function () {
        setTimeout(tick, 15000);
      });
  }
  setTimeout(tick, 3000);
})();
