// Draws every <canvas data-chart="ID"> from the JSON in <script id="ID">,
// so pages pass data with json_script and no inline code (CSP).
(() => {
  const palette = ["#2f7d6d", "#1f3b57", "#d08c2c", "#8a5a9f", "#c24b4b", "#5b8bd0"];

  // Quadrant lines and labels for a 0–100 × 0–100 portfolio matrix.
  const quadrants = {
    id: "kamQuadrants",
    afterDraw(chart, _args, opts) {
      if (!opts || !opts.labels) return;
      const { ctx, chartArea: a, scales: { x, y } } = chart;
      const mx = x.getPixelForValue(50), my = y.getPixelForValue(50);
      ctx.save();
      ctx.strokeStyle = "#8a94a6";
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(mx, a.top); ctx.lineTo(mx, a.bottom);
      ctx.moveTo(a.left, my); ctx.lineTo(a.right, my);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#6b7280";
      ctx.font = "12px sans-serif";
      const [tl, tr, bl, br] = opts.labels;
      ctx.textAlign = "left"; ctx.fillText(tl, a.left + 6, a.top + 14);
      ctx.textAlign = "right"; ctx.fillText(tr, a.right - 6, a.top + 14);
      ctx.textAlign = "left"; ctx.fillText(bl, a.left + 6, a.bottom - 6);
      ctx.textAlign = "right"; ctx.fillText(br, a.right - 6, a.bottom - 6);
      ctx.restore();
    },
  };

  const draw = (canvas) => {
    if (!window.Chart || canvas.dataset.drawn) return;
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const box = canvas.parentElement;
    if (box.dataset.height) box.style.height = `${box.dataset.height}px`;
    const type = spec.type || "bar";
    spec.datasets.forEach((ds, i) => {
      const colour = palette[i % palette.length];
      ds.backgroundColor = ds.backgroundColor || (ds.type === "line" || type === "line" ? colour + "33" : colour);
      ds.borderColor = ds.borderColor || colour;
      if (type === "bar" && ds.type !== "line") ds.borderRadius = 4;
      if (ds.type === "line" || type === "line") { ds.pointRadius = ds.pointRadius ?? 0; ds.tension = 0.2; ds.fill = type === "line" && !spec.no_fill; }
      if (type === "scatter") ds.pointRadius = 5;
    });
    const scales = {
      x: { beginAtZero: true, ticks: { precision: 0 }, title: { display: !!spec.x_title, text: spec.x_title } },
      y: { beginAtZero: true, title: { display: !!spec.y_title, text: spec.y_title } },
    };
    if (type === "scatter") { scales.x.min = 0; scales.x.max = 100; scales.y.min = 0; scales.y.max = 100; }
    if (type === "line" && spec.y_max) scales.y.max = spec.y_max;
    if (spec.stacked) { scales.x.stacked = true; scales.y.stacked = true; }
    if (spec.datasets.some((ds) => ds.yAxisID === "y2")) {
      scales.y2 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: !!spec.y2_title, text: spec.y2_title } };
    }
    new window.Chart(canvas, {
      type,
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        locale: document.documentElement.lang || "en",
        plugins: {
          legend: { display: spec.datasets.length > 1 },
          kamQuadrants: spec.quadrants ? { labels: spec.quadrant_labels } : false,
          tooltip: type === "scatter" ? { callbacks: { label: (c) => `${c.raw.label}: ${c.raw.x} / ${c.raw.y}` } } : {},
        },
        scales,
      },
      plugins: [quadrants],
    });
    canvas.dataset.drawn = "1";
  };
  const drawAll = (root) => root.querySelectorAll("canvas[data-chart]").forEach(draw);
  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  // an outerHTML swap (the 360's lazy sections) leaves the event on the replaced
  // element: look at the whole page; drawn charts are skipped
  document.addEventListener("htmx:afterSettle", () => drawAll(document));
})();
