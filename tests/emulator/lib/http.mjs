// Response helpers and the error type handlers throw. Handlers return plain descriptors
// ({status, json} or {status, body, contentType}); server.mjs turns them into HTTP responses,
// adding the rate-limit headers Sentry sends on every API response.

export class HttpError extends Error {
  constructor(status, body, headers = {}) {
    super(typeof body === "object" ? JSON.stringify(body) : String(body));
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

export const NOT_FOUND = "The requested resource does not exist";
export const NO_PERMISSION = "You do not have permission to perform this action.";

export const notFound = () => new HttpError(404, { detail: NOT_FOUND });
export const badRequest = (detail) => new HttpError(400, typeof detail === "string" ? { detail } : detail);
export const forbidden = () => new HttpError(403, { detail: NO_PERMISSION });

export const ok = (json, extra = {}) => ({ status: 200, json, ...extra });
export const created = (json) => ({ status: 201, json });

/** Read the whole request body, bounded (1 MiB) so a runaway client cannot exhaust memory. */
export function readBody(req, limit = 1 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, { detail: "Request body too large" }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Query string → object of arrays (what the request log records and handlers read). */
export function queryObject(searchParams) {
  const out = {};
  for (const [k, v] of searchParams) (out[k] ??= []).push(v);
  return out;
}
