// The time series chart: one point per interval, on a line, with the value axis from zero.
const SVG = "http://www.w3.org/2000/svg";

function svgEl(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function renderChart(data) {
  const series = data && data.series;
  if (!series || !Array.isArray(series.points) || !series.points.length) {
    show(el("p", "note", "This answer has no time series to draw: search_events draws one for an aggregate such as count() or p95(span.duration)."));
    return;
  }
  const points = series.points.filter((p) => Array.isArray(p) && Number.isFinite(p[0])).map(([t, v]) => [t, Number.isFinite(v) ? v : 0]);
  const [width, height, left, right, top, bottom] = [640, 220, 48, 12, 12, 28];
  const t0 = points[0][0];
  const t1 = points[points.length - 1][0];
  const max = Math.max(...points.map((p) => p[1]), 0) || 1;
  const x = (t) => left + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (width - left - right);
  const y = (v) => top + (1 - v / max) * (height - top - bottom);
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  svg.append(svgEl("title", {}, `${series.yAxis} per ${series.interval}`));
  svg.append(svgEl("line", { class: "axis", x1: left, y1: y(0), x2: width - right, y2: y(0) }));
  svg.append(svgEl("line", { class: "axis", x1: left, y1: top, x2: left, y2: y(0) }));
  svg.append(svgEl("text", { x: left - 4, y: top + 10, "text-anchor": "end" }, formatValue(max)));
  svg.append(svgEl("text", { x: left - 4, y: y(0), "text-anchor": "end" }, "0"));
  svg.append(svgEl("text", { x: left, y: height - 8 }, formatTime(t0)));
  svg.append(svgEl("text", { x: width - right, y: height - 8, "text-anchor": "end" }, formatTime(t1)));
  svg.append(svgEl("polyline", { class: "line", points: points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ") }));
  for (const [t, v] of points) {
    const dot = svgEl("circle", { class: "point", cx: x(t).toFixed(1), cy: y(v).toFixed(1), r: 3, "data-value": v, "data-time": t });
    dot.append(svgEl("title", {}, `${formatTime(t)}: ${formatValue(v)}`));
    svg.append(dot);
  }
  const total = points.reduce((sum, p) => sum + p[1], 0);
  const facts = [`${points.length} intervals of ${series.interval}`, `peak ${formatValue(max)}`];
  if (/^(count|sum)/.test(series.yAxis ?? "")) facts.push(`total ${formatValue(total)}`);
  const heading = el("h1", null, `${series.yAxis ?? "value"}${data.query ? ` · ${data.query}` : ""}`);
  show(heading, el("p", "facts", `${data.dataset ?? ""} · ${facts.join(" · ")}`), svg);
}

function formatValue(v) {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

function formatTime(epochSeconds) {
  return new Date(epochSeconds * 1000).toISOString().slice(5, 16).replace("T", " ");
}

startView("sentry-time-series", renderChart);
