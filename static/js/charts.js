// Draws every <canvas data-chart="ID"> from the JSON in <script id="ID">,
// so pages pass data with json_script and no inline code (CSP).
(() => {
  const palette = ["#2f7d6d", "#1f3b57", "#d08c2c", "#8a5a9f", "#c24b4b", "#5b8bd0"];
  const draw = (canvas) => {
    if (!window.Chart || canvas.dataset.drawn) return;
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const box = canvas.parentElement;
    if (box.dataset.height) box.style.height = `${box.dataset.height}px`;
    spec.datasets.forEach((ds, i) => {
      ds.backgroundColor = ds.backgroundColor || palette[i % palette.length];
      ds.borderRadius = 4;
    });
    new window.Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: spec.datasets.length > 1 } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { beginAtZero: true } },
      },
    });
    canvas.dataset.drawn = "1";
  };
  const drawAll = (root) => root.querySelectorAll("canvas[data-chart]").forEach(draw);
  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  document.addEventListener("htmx:afterSettle", (e) => drawAll(e.target));
})();
