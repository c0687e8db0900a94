// A small implementation of Sentry's search syntax, shared by the issue search and the
// Discover/Explore endpoint: `key:value`, `key:"quoted value"`, `!key:value`, `key:*part*`,
// `key:[a,b]`, `key:>100`, `key:-24h` (dates), `has:key`, free text, AND/OR and parentheses.
// Malformed input (unbalanced quotes or parentheses, `key:(`) raises SearchSyntaxError,
// which the handlers turn into 400 {"detail": "Invalid search query: ..."}.
import { parsePeriod, parseDate } from "./time.mjs";

export class SearchSyntaxError extends Error {}

function readQuoted(s, i) {
  // s[i] === '"'; returns [unescaped text, index after the closing quote]
  let out = "";
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === "\\" && j + 1 < s.length) {
      out += s[++j];
    } else if (s[j] === '"') {
      return [out, j + 1];
    } else out += s[j];
  }
  throw new SearchSyntaxError("Unbalanced quotes");
}

function unquote(v) {
  return v.startsWith('"') ? readQuoted(v, 0)[0] : v;
}

function tokenize(s) {
  const out = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")") {
      out.push({ t: c });
      i++;
    } else if (c === '"') {
      const [value, j] = readQuoted(s, i);
      out.push({ t: "text", value });
      i = j;
    } else {
      // A word runs to the next whitespace; quoted sections inside it may contain spaces.
      let j = i;
      while (j < s.length && !/\s/.test(s[j])) {
        if (s[j] === '"') j = readQuoted(s, j)[1];
        else j++;
      }
      let word = s.slice(i, j);
      i = j;
      // Trailing ")" that do not close a "(" inside the word are grouping parentheses.
      let closers = 0;
      const depth = () => (word.match(/\(/g) || []).length - (word.match(/\)/g) || []).length;
      while (word.endsWith(")") && depth() < 0) {
        word = word.slice(0, -1);
        closers++;
      }
      if (word) out.push(classify(word));
      for (let k = 0; k < closers; k++) out.push({ t: ")" });
    }
  }
  return out;
}

function classify(word) {
  if (word === "OR" || word === "AND") return { t: word };
  const m = /^(!?)([A-Za-z_@][\w.\-@\[\]()]*?):(.*)$/s.exec(word);
  if (!m || m[3] === "") return { t: "text", value: unquote(word) };
  const [, bang, key, rawValue] = m;
  let raw = rawValue;
  const f = { t: "filter", key, negated: bang === "!", op: "=", values: [], wildcard: false };
  if (raw.startsWith("(") || raw.startsWith(")")) throw new SearchSyntaxError(`Unexpected "(" after ${key}:`);
  const opm = /^(>=|<=|>|<)/.exec(raw);
  if (opm) {
    f.op = opm[1];
    raw = raw.slice(opm[1].length);
  }
  if (raw.startsWith("[") && raw.endsWith("]")) {
    f.values = raw
      .slice(1, -1)
      .split(",")
      .map((v) => unquote(v.trim()))
      .filter((v) => v !== "");
  } else {
    f.values = [unquote(raw)];
  }
  f.wildcard = f.values.some((v) => v.includes("*"));
  return f;
}

/** Parse a query string into an AST ({t:"and"|"or", parts} / filter / text tokens). */
export function parseQuery(q) {
  const tokens = tokenize(q ?? "");
  let i = 0;
  const parseOr = () => {
    const parts = [parseAnd()];
    while (tokens[i]?.t === "OR") {
      i++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0] : { t: "or", parts };
  };
  const parseAnd = () => {
    const parts = [];
    while (i < tokens.length && tokens[i].t !== "OR" && tokens[i].t !== ")") {
      if (tokens[i].t === "AND") {
        i++;
        continue;
      }
      const tok = tokens[i++];
      if (tok.t === "(") {
        parts.push(parseOr());
        if (tokens[i]?.t !== ")") throw new SearchSyntaxError("Unbalanced parenthesis");
        i++;
      } else parts.push(tok);
    }
    if (!parts.length) throw new SearchSyntaxError("Empty expression around a boolean operator or parenthesis");
    return { t: "and", parts };
  };
  if (!tokens.length) return { t: "and", parts: [] };
  const ast = parseOr();
  if (i < tokens.length) throw new SearchSyntaxError("Unbalanced parenthesis");
  return ast;
}

/** All filter tokens in an AST (handlers use this to validate keys or pull out `is:` etc.). */
export function filtersOf(ast) {
  if (ast.t === "and" || ast.t === "or") return ast.parts.flatMap(filtersOf);
  return ast.t === "filter" ? [ast] : [];
}

const DURATION = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
function parseNumber(v) {
  const m = /^(-?\d+(?:\.\d+)?)(ms|s|min|m|h|d|k)?$/i.exec(String(v).trim());
  if (!m) return null;
  const n = Number(m[1]);
  const u = (m[2] || "").toLowerCase();
  if (u === "k") return n * 1000;
  return u ? n * DURATION[u] : n;
}

function wildcardRe(v) {
  const esc = v.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${esc}$`, "is");
}

function compareOne(actual, f, now) {
  if (actual == null) return false;
  // Dates: ISO strings compared against relative (-24h) or absolute values.
  const isDate = typeof actual === "string" && /^\d{4}-\d\d-\d\dT/.test(actual);
  if (isDate) {
    const t = Date.parse(actual);
    return f.values.some((v) => {
      const rel = /^([-+])(\d+[smhdw])$/.exec(v);
      if (rel && f.op === "=") {
        const edge = now - parsePeriod(rel[2]);
        return rel[1] === "-" ? t >= edge : t < edge;
      }
      const d = parseDate(v);
      if (d == null) return false;
      return cmp(t, d, f.op === "=" ? ">=" : f.op);
    });
  }
  if (f.op !== "=") {
    const a = typeof actual === "number" ? actual : parseNumber(actual);
    return f.values.some((v) => {
      const n = parseNumber(v);
      return a != null && n != null && cmp(a, n, f.op);
    });
  }
  const s = String(actual);
  return f.values.some((v) => (v.includes("*") ? wildcardRe(v).test(s) : s.toLowerCase() === v.toLowerCase()));
}

function cmp(a, b, op) {
  switch (op) {
    case ">":
      return a > b;
    case "<":
      return a < b;
    case ">=":
      return a >= b;
    case "<=":
      return a <= b;
    default:
      return a === b;
  }
}

const present = (v) => v != null && v !== "" && !(Array.isArray(v) && v.length === 0);

/**
 * Evaluate an AST against one item.
 *  resolve(key) → value or array of values (undefined = unknown key)
 *  text(item)   → strings free text is matched against (case-insensitive substring)
 *  custom(f)    → true/false to decide a filter itself, undefined to fall through
 */
export function matches(ast, { resolve, text, custom, now = Date.now() }) {
  const ev = (n) => {
    switch (n.t) {
      case "and":
        return n.parts.every(ev);
      case "or":
        return n.parts.some(ev);
      case "text": {
        const needle = n.value.toLowerCase();
        return text().some((s) => s != null && String(s).toLowerCase().includes(needle));
      }
      case "filter": {
        const c = custom?.(n);
        if (c !== undefined) return c;
        if (n.key === "has") {
          const r = n.values.some((k) => present(resolve(k)));
          return n.negated ? !r : r;
        }
        const raw = resolve(n.key);
        const vals = (Array.isArray(raw) ? raw : [raw]).filter((v) => v != null);
        const r = vals.some((v) => compareOne(typeof v === "boolean" ? String(v) : v, n, now));
        return n.negated ? !r : r;
      }
      default:
        return true;
    }
  };
  return ev(ast);
}
