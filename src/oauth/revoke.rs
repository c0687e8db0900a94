//! `POST /oauth/revoke` (RFC 7009). A refresh token revokes its whole grant; an access token only
//! itself. Unknown or foreign tokens get 200 as well, so the endpoint reveals nothing.

use super::error::{oauth_error, OAuthErrorCode};
use super::records::{self, AccessTokenRecord, ClientId, SecretHash, TokenKind};
use super::token::authenticate_client;
use super::{grant, no_store_json, Ctx, Handled, Params};
use crate::platform::http::HttpRequest;

pub(crate) async fn revoke(ctx: &Ctx<'_>, req: &HttpRequest) -> Handled {
    let f = Params::form(&req.body);
    let Some(token) = f.get("token") else {
        return Ok(oauth_error(400, OAuthErrorCode::InvalidRequest, "token is required"));
    };
    // Client authentication as at the token endpoint when the client identifies itself; the token
    // is proof enough otherwise (revoking is never harmful to its owner).
    let client_id = if f.get("client_id").is_some() || req.headers.get("authorization").is_some() {
        Some(authenticate_client(ctx, req, &f).await?.client_id)
    } else {
        None
    };
    let owned = |owner: &ClientId| client_id.as_ref().is_none_or(|c| c == owner);
    let hash = SecretHash::of(token);
    if let Some(gid) = records::grant_id_of(token, TokenKind::Access) {
        let key = records::access_key(gid, &hash);
        if let Some(rec) = ctx.get_json::<AccessTokenRecord>(&key).await? {
            if owned(&rec.client_id) {
                ctx.store.delete(&key).await?;
            }
        }
    } else if let Some(gid) = records::grant_id_of(token, TokenKind::Refresh) {
        if let Some(g) = grant::load(ctx, gid).await? {
            let ours = [&g.refresh, &g.previous_refresh]
                .into_iter()
                .flatten()
                .any(|s| s.hash.matches(&hash));
            if ours && owned(&g.client_id) {
                grant::revoke_id(ctx.store, ctx.platform, gid, None).await?;
            }
        }
    }
    Ok(no_store_json(200, &serde_json::json!({})))
}
