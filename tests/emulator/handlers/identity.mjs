// Identity endpoints: GET /api/0/, /auth/, /users/me/regions/.
import { ok } from "../lib/http.mjs";
import { userJson } from "./shapes.mjs";

export function register(r) {
  r.add("GET", "/api/0/", (ctx) => ok({ version: "0", auth: { scopes: ctx.user.scopes }, user: userJson(ctx.user, ctx.state.now) }));
  r.add("GET", "/api/0/auth/", (ctx) => ok(userJson(ctx.user, ctx.state.now)));
  r.add("GET", "/api/0/users/me/", (ctx) => ok(userJson(ctx.user, ctx.state.now)));
  r.add("GET", "/api/0/users/me/regions/", (ctx) =>
    ok({ regions: [{ name: "us", url: ctx.state.urls.base }, { name: "de", url: ctx.state.urls.region }] }),
  );
}
