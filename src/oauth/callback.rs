//! `GET /oauth/callback`: Sentry sends the browser back here.
//!
//! Checks, in order: the `state` signature and expiry; that this browser approved the client
//! (approval cookie); that the state's nonce is still unused; that this browser started this very
//! flow (flow cookie holding the state's nonce, so a `state` minted in another browser cannot
//! complete here, even for an approved client); then the nonce is consumed; Sentry's
//! `error`; the client and redirect URI once more. Then Sentry's code is exchanged, the grant is
//! created and the browser goes to the client with our code, its `state` and `iss`. For a
//! metadata-document client, the user's earlier grant through the same redirect URI is revoked
//! ([`super::cimd::supersede_earlier_grant`]).

use serde_json::json;

use super::authorize::{client_and_redirect, found, UpstreamState, STATE_PURPOSE};
use super::records;
use super::signed::{self, SignedError};
use super::upstream::{self, UpstreamError};
use super::{cimd, cookies, grant, origin, page, redirect, Ctx, Handled, Params};
use crate::platform::http::HttpRequest;
use crate::platform::LogLevel;

pub(crate) async fn complete(ctx: &Ctx<'_>, req: &HttpRequest) -> Handled {
    let q = Params::query(req);
    let own = origin(req);
    let st: UpstreamState = match signed::verify(
        &ctx.key(STATE_PURPOSE),
        STATE_PURPOSE,
        q.get("state").unwrap_or(""),
        ctx.now(),
    ) {
        Ok(s) => s,
        Err(SignedError::Expired) => {
            return Ok(page::error_page(
                400,
                "Sign-in took too long",
                "The sign-in request expired (10 minutes).",
            ))
        }
        Err(SignedError::Invalid) => {
            return Ok(page::error_page(
                400,
                "Invalid state",
                "This sign-in response does not belong to a request from this server.",
            ))
        }
    };
    if !cookies::approved_clients(ctx, &req.headers).iter().any(|c| st.req.client_id == c.as_str())
    {
        return Ok(page::error_page(
            403,
            "Application not approved",
            "This browser has not approved this application, so the sign-in was not completed.",
        ));
    }
    let nonce_key = records::state_key(&st.nonce);
    if ctx.store.get(&nonce_key).await?.is_none() {
        return Ok(page::error_page(
            400,
            "Already used",
            "This sign-in response was already used.",
        ));
    }
    let own_flow = cookies::read(&req.headers, cookies::FLOW)
        .is_some_and(|nonce| super::crypto::ct_eq(nonce, &st.nonce));
    if !own_flow {
        ctx.log(LogLevel::Warn, "oauth_callback_foreign_flow", json!({}));
        return Ok(page::error_page(
            403,
            "Sign-in not started here",
            "This sign-in was not started in this browser (or it took too long), so it was not completed. Start the connection again from your MCP client.",
        ));
    }
    // The store decides single use (in the Worker, a Durable Object): of two callbacks racing
    // with one state, exactly one goes on.
    if !ctx.store.consume_once(&nonce_key).await? {
        return Ok(page::error_page(
            400,
            "Already used",
            "This sign-in response was already used.",
        ));
    }
    if let Some(error) = q.get("error") {
        ctx.log(
            LogLevel::Warn,
            "oauth_upstream_denied",
            json!({"error": error.chars().take(40).collect::<String>()}),
        );
        let detail = q
            .get("error_description")
            .map(|d| format!(" ({})", crate::render::truncate(d, 200)))
            .unwrap_or_default();
        return Ok(page::error_page(
            400,
            "Sentry did not authorize the connection",
            &format!("Sentry answered '{}'{detail}.", crate::render::truncate(error, 60)),
        ));
    }
    let Some(code) = q.get("code") else {
        return Ok(page::error_page(
            400,
            "Invalid response",
            "Sentry's answer has no authorization code.",
        ));
    };
    client_and_redirect(ctx, Some(&st.req.client_id), Some(&st.req.redirect_uri)).await?;
    let issued = match upstream::exchange_code(ctx, code, &own).await {
        Ok(i) => i,
        Err(UpstreamError::Rejected(why)) => {
            ctx.log(LogLevel::Warn, "oauth_upstream_code_rejected", json!({"error": why}));
            return Ok(page::error_page(
                400,
                "Sentry refused the sign-in",
                "The sign-in code from Sentry was refused (expired or already used).",
            ));
        }
        Err(UpstreamError::Unavailable(why)) => {
            ctx.log(LogLevel::Error, "oauth_upstream_unavailable", json!({"error": why}));
            return Ok(page::error_page(
                502,
                "Sentry is unavailable",
                "Sentry could not be reached to finish the sign-in. Try again in a moment.",
            ));
        }
    };
    let code =
        grant::create(ctx, &st.req, &issued.user_id, st.skills, st.read_only, &issued.tokens)
            .await?;
    if cimd::is_document_id(&st.req.client_id) {
        if let Some(grant_id) = records::grant_id_of(&code, records::TokenKind::Code) {
            cimd::supersede_earlier_grant(
                ctx,
                &st.req.client_id,
                &issued.user_id,
                &st.req.redirect_uri,
                grant_id,
            )
            .await?;
        }
    }
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = st.req.state.as_deref() {
        params.push(("state", s));
    }
    params.push(("iss", own.as_str()));
    ctx.log(
        LogLevel::Info,
        "oauth_authorized",
        json!({"skills": st.skills, "read_only": st.read_only}),
    );
    Ok(found(&redirect::with_query(&st.req.redirect_uri, &params))
        .with_header("set-cookie", cookies::set(cookies::FLOW, "", 0)))
}
