// A saved query's page: draws the chart its data asks for (the spec and rows are in the page).
(function () {
  "use strict";
  const data = document.getElementById("chart-data");
  const el = document.getElementById("chart");
  if (!data || !el) return;
  if (typeof d3 === "undefined" || typeof EconsecCharts === "undefined") {
    el.textContent = "The chart scripts did not load; the table below has the same data.";
    return;
  }
  const { spec, rows } = JSON.parse(data.textContent);
  const drawn = EconsecCharts.draw(el, rows, spec);
  if (!drawn.length) el.textContent = "Nothing in these rows to chart.";
  el.dataset.drawn = String(drawn.length);
})();
