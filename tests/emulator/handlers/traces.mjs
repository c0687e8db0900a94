// Trace endpoints. Unknown trace ids answer like Sentry: [] and zero counts, not 404.
import { badRequest, ok } from "../lib/http.mjs";

function traceId(ctx) {
  const id = String(ctx.params.traceId).toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(id)) throw badRequest("Invalid trace id: expected 32 hexadecimal characters");
  return id;
}

/** Keep at most `limit` span nodes, breadth first (orphan errors are always kept). */
function prune(roots, limit) {
  let left = limit;
  const queue = [];
  const out = roots.map((n) => {
    if (!n.span_id) return n;
    const copy = { ...n, children: [] };
    queue.push([n, copy]);
    left--;
    return copy;
  });
  while (queue.length) {
    const [src, dst] = queue.shift();
    for (const c of src.children) {
      if (left <= 0) return out;
      const copy = { ...c, children: [] };
      dst.children.push(copy);
      queue.push([c, copy]);
      left--;
    }
  }
  return out;
}

export function register(r) {
  r.add("GET", "/api/0/organizations/:org/trace/:traceId/", (ctx) => {
    const tree = ctx.state.store.traceTree(traceId(ctx), ctx.org.slug);
    const raw = ctx.q("limit");
    if (raw != null) {
      if (!/^\d+$/.test(raw) || Number(raw) < 1) throw badRequest("Invalid limit parameter.");
      return ok(prune(tree, Math.min(Number(raw), 10_000)));
    }
    return ok(tree);
  });
  r.add("GET", "/api/0/organizations/:org/trace-meta/:traceId/", (ctx) => ok(ctx.state.store.traceMeta(traceId(ctx), ctx.org.slug)));
}
