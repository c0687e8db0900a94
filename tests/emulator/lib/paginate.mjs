// Sentry cursor pagination (sentry-api.md section 6): cursors look like `<value>:<offset>:<is_prev>`
// and the Link header always carries both rel="previous" and rel="next".
import { badRequest } from "./http.mjs";

/** Offset encoded in the `cursor` query parameter (0 when absent). */
export function cursorOffset(ctx) {
  const raw = ctx.q("cursor");
  if (raw == null || raw === "") return 0;
  const m = /^(-?\d+(?:\.\d+)?):(\d{1,9}):([01])$/.exec(raw);
  if (!m) throw badRequest("Invalid cursor parameter.");
  return Number(m[2]);
}

/** Page size from `name` (per_page or limit): default `def`, capped at `max`, 400 on garbage. */
export function pageSize(ctx, name = "per_page", def = 100, max = 100) {
  const raw = ctx.q(name);
  if (raw == null || raw === "") return def;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw badRequest(`Invalid ${name} parameter.`);
  return Math.min(Number(raw), max);
}

/** Link header for the request URL with `cursor` replaced. */
export function linkHeader(ctx, offset, limit, hasMore) {
  // Sentry writes the cursor unencoded (`&cursor=0:100:0`); other parameters stay encoded.
  const rest = new URLSearchParams(ctx.url.search);
  rest.delete("cursor");
  const qs = rest.toString();
  const make = (cursor) => `http://${ctx.host}${ctx.url.pathname}?${qs ? `${qs}&` : ""}cursor=${cursor}`;
  const prev = `0:${Math.max(0, offset - limit)}:1`;
  const next = `0:${offset + limit}:0`;
  return (
    `<${make(prev)}>; rel="previous"; results="${offset > 0}"; cursor="${prev}", ` +
    `<${make(next)}>; rel="next"; results="${hasMore}"; cursor="${next}"`
  );
}

/** Slice `items` for the request's cursor and return {page, headers} with the Link header. */
export function paginate(ctx, items, { sizeParam = "per_page", def = 100, max = 100 } = {}) {
  const offset = cursorOffset(ctx);
  const limit = pageSize(ctx, sizeParam, def, max);
  const page = items.slice(offset, offset + limit);
  return { page, headers: { Link: linkHeader(ctx, offset, limit, offset + limit < items.length) } };
}
