// The trace waterfall: one row per span, its bar placed at its start and sized by its duration,
// both relative to the trace's whole duration.
function renderWaterfall(data) {
  if (!data || !Array.isArray(data.spans)) {
    show(el("p", "note", "This answer carries no spans to draw."));
    return;
  }
  const spans = data.spans.filter((s) => s && Number.isFinite(s.startMs) && Number.isFinite(s.durationMs));
  const total = Math.max(Number(data.durationMs) || 0, ...spans.map((s) => s.startMs + s.durationMs), 0.001);
  const title = el("h1", null, `Trace ${data.traceId ?? ""}`);
  const facts = el("p", "facts", `${spans.length} spans shown · ${total.toFixed(1)} ms`);
  const rows = el("div", "rows");
  rows.setAttribute("role", "list");
  for (const span of spans) {
    const label = el("div", "label");
    label.style.paddingLeft = `${Math.min(Number(span.depth) || 0, 12) * 8}px`;
    label.append(el("span", "op", `${span.op ?? ""} `), document.createTextNode(span.name ?? ""));
    label.title = `${span.op ?? ""} ${span.name ?? ""} · ${span.durationMs.toFixed(1)} ms${span.project ? ` · ${span.project}` : ""}`;
    const track = el("div", "track");
    track.setAttribute("role", "listitem");
    const bar = el("div", `bar${span.transaction ? " transaction" : ""}${span.errors > 0 ? " error" : ""}`);
    bar.dataset.spanId = String(span.spanId ?? "");
    bar.dataset.durationMs = String(span.durationMs);
    bar.style.left = `${(Math.max(0, span.startMs) / total) * 100}%`;
    bar.style.width = `${(Math.max(0, span.durationMs) / total) * 100}%`;
    bar.title = label.title;
    track.append(bar);
    rows.append(label, track);
  }
  if (Number(data.total) > spans.length) rows.append(el("p", "more", `${data.total - spans.length} more spans are not drawn; raise maxSpans to draw them.`));
  show(title, facts, rows);
}

startView("sentry-trace-waterfall", renderWaterfall);
