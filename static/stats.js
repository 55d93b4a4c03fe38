// Statistics charts: reads the series the server put in #stats-series and draws them with
// Chart.js (vendored). The same numbers are in a table on the page, for screen readers and
// for anyone without JavaScript.
(function () {
  "use strict";
  // Colour-blind safe palette (Okabe-Ito); human series are solid, totals dashed.
  var COLOURS = {
    sent: "#0072B2", delivered: "#009E73",
    opened_unique_human: "#E69F00", opened_unique: "#E69F00",
    clicked_unique_human: "#CC79A7", clicked_unique: "#CC79A7",
    bounced_hard: "#D55E00", bounced_soft: "#F0E442", complained: "#000000",
    unsubscribed: "#56B4E9", failed: "#999999"
  };

  function lineDataset(ds) {
    var total = ds.key === "opened_unique" || ds.key === "clicked_unique";
    return {
      label: ds.label, data: ds.data, borderColor: COLOURS[ds.key], backgroundColor: COLOURS[ds.key],
      borderDash: total ? [6, 4] : [], borderWidth: 2, pointRadius: 0, tension: 0.25
    };
  }

  function barDataset(ds) {
    return { label: ds.label, data: ds.data, backgroundColor: COLOURS[ds.key], stack: "problems" };
  }

  function options(stacked) {
    return {
      animation: false, responsive: true, maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } } },
      scales: {
        x: { stacked: stacked, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
        y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
      }
    };
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    var chart = new window.Chart(canvas, config);
    canvas.setAttribute("data-drawn", chart.data.datasets.length ? "true" : "false");
  }

  function init() {
    var source = document.getElementById("stats-series");
    if (!source || !window.Chart) return;
    var series = JSON.parse(source.textContent);
    draw("chart-engagement", {
      type: "line", options: options(false),
      data: { labels: series.labels, datasets: series.engagement.map(lineDataset) }
    });
    draw("chart-problems", {
      type: "bar", options: options(true),
      data: { labels: series.labels, datasets: series.problems.map(barDataset) }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
