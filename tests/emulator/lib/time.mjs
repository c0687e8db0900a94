// Time helpers. All fixture timestamps are offsets from a fixed `now` captured when the
// emulator starts, so `statsPeriod` filters behave the same way on every run.

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export const iso = (ms) => new Date(ms).toISOString();
/** float seconds, as the trace endpoints use */
export const secs = (ms) => Math.round(ms) / 1000;

const UNITS = { s: 1000, m: MIN, h: HOUR, d: DAY, w: 7 * DAY };

/** "14d" → ms; null for invalid input. Sentry accepts s/m/h/d/w suffixes. */
export function parsePeriod(p) {
  const m = /^(\d{1,6})([smhdw])$/.exec(String(p).trim());
  if (!m) return null;
  return Number(m[1]) * UNITS[m[2]];
}

/** Parse an ISO date or epoch seconds; null if invalid. */
export function parseDate(s) {
  if (s == null || s === "") return null;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
  return Number.isNaN(t) ? null : t;
}
