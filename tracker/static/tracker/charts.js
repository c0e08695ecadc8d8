// Grade distribution charts: each canvas reads its numbers from the JSON script beside it.
// The same numbers are in a table next to the chart, so the chart is hidden from screen readers.
document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
  var data = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
  var colours = ["#0a3d8f", "#6f42c1", "#b35c00", "#146c43"];
  var patterns = [[], [6, 3], [2, 2], [10, 2, 2, 2]];
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.grades,
      datasets: data.series.map(function (name, index) {
        return {
          label: name,
          data: data.counts[index],
          backgroundColor: colours[index],
          borderColor: "#000",
          borderWidth: 1,
          borderDash: patterns[index],
        };
      }),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
});
