// Minimal path router: patterns like "/api/0/organizations/:org/issues/:issueId/" match
// percent-decoded path segments one to one.
import { badRequest } from "./http.mjs";

export function splitPath(pathname) {
  return pathname
    .split("/")
    .slice(1)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw badRequest("Malformed percent-encoding in path");
      }
    });
}

export class Router {
  constructor() {
    this.routes = [];
  }
  /** opts.scope: scope required (write routes), or a list of scopes any one of which will do; opts.orgDetail marks GET /organizations/{org}/. */
  add(method, pattern, handler, opts = {}) {
    this.routes.push({ method, parts: pattern.split("/").slice(1), pattern, handler, ...opts });
    return this;
  }
  /** → {route, params} | {methodMismatch: true} | null */
  match(method, segments) {
    let mismatch = false;
    for (const r of this.routes) {
      if (r.parts.length !== segments.length) continue;
      const params = {};
      let ok = true;
      for (let i = 0; i < r.parts.length; i++) {
        const p = r.parts[i];
        if (p.startsWith(":")) {
          if (segments[i] === "") {
            ok = false;
            break;
          }
          params[p.slice(1)] = segments[i];
        } else if (p !== segments[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (r.method !== method) {
        mismatch = true;
        continue;
      }
      return { route: r, params };
    }
    return mismatch ? { methodMismatch: true } : null;
  }
}
