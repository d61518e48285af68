// An entity page's neighbourhood: what it links to and what links to it, drawn as a small
// network (the gallery's chart code) from /neighbourhood/{the same path as /id/...}.
(function () {
  "use strict";
  const el = document.getElementById("neighbourhood");
  if (!el) return;
  if (typeof d3 === "undefined" || typeof EconsecCharts === "undefined") {
    el.textContent = "The drawing's scripts are not installed (run make setup with npm); the tables above list the same links.";
    return;
  }
  const found = /^(.*)\/id\/(.+)$/.exec(window.location.pathname);
  if (!found) return;
  const spec = {
    source: "from",
    sourceLabel: "fromLabel",
    sourceHref: "from__href",
    target: "to",
    targetLabel: "toLabel",
    targetHref: "to__href",
    relation: "relation",
    minLabelDegree: 1,
    // a handful of neighbours: longer links and more room, so every name can be read
    linkDistance: 110,
    charge: -400,
    height: 520,
  };
  fetch(found[1] + "/neighbourhood/" + found[2], { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status + " " + response.statusText);
      return response.json();
    })
    .then(function (body) {
      if (!body.rows.length) {
        el.textContent = "No links to other entities.";
        return;
      }
      EconsecCharts.network(el, body.rows, spec);
      el.dataset.drawn = "1";
    })
    .catch(function (error) {
      el.textContent = "The neighbourhood could not be drawn: " + error.message;
    });
})();
