//! `/mcp`, `/mcp/{org}` and `/mcp/{org}/{project}`: the checks every MCP POST passes before the
//! protocol layer sees it, in this order: method (405), Host (403, DNS rebinding), Origin (403),
//! credentials (401/400; `credentials` reads the headers, `oauth::bearer` validates our own
//! tokens), the per-caller rate limit (429), `?skills=` and `?agent=` (400), content type (415/406). A request
//! that names no valid caller (no credential, a malformed one, an OAuth token that does not
//! authenticate) meets the per-address limit instead, before anything else. With an
//! OAuth token, a `tools/call` for a tool the grant's skills do not cover is 403
//! `insufficient_scope` naming the scope to ask for (step-up); every 401 challenge names `scope`. The
//! legacy HTTP+SSE transport (`http::sse`) runs the same checks through [`authenticate`] and
//! [`refused_by_host_or_origin`].
//!
//! A request with a `progressToken` may be answered as an SSE stream (see [`streamed`]). With an
//! OAuth token, a 401 from Sentry during a plain JSON answer revokes the grant and the client gets
//! 401 to authorize again; a streamed answer has already sent its status, so the next call that
//! reaches Sentry revokes it instead.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures_channel::mpsc::UnboundedSender;
use futures_util::future::{select, Either};
use futures_util::StreamExt;

use super::credentials::{self, CredentialError, Credentials};

use super::App;
use crate::config::Config;
use crate::digest::fingerprint;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::{self, McpContext, Refusal, Stage};
use crate::oauth::bearer;
use crate::oauth::{oauth_error, OAuthError, OAuthErrorCode};
use crate::platform::http::{EventStream, HttpRequest, HttpResponse};
use crate::platform::services::Limiter;
use crate::sentry::UpstreamSignals;
use crate::session::{AccessMethod, Constraints, Session, Skill, SkillSet};
use crate::telemetry::Telemetry;
use crate::tools::NotificationSink;

/// Headers a browser-based MCP client may send and read.
const CORS_ALLOW_HEADERS: &str = "Authorization, Sentry-Bearer, Content-Type, Accept, MCP-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID";
/// `Mcp-Session-Id` is given only to a client that declared MCP Apps (see `mcp::apps`).
const CORS_EXPOSE_HEADERS: &str = "WWW-Authenticate, MCP-Protocol-Version, Mcp-Session-Id";

/// Handle a request whose path is `/mcp` or below.
pub(super) async fn handle(
    config: &Config,
    app: &App,
    req: &HttpRequest,
    constraints: Constraints,
    telemetry: &Rc<Telemetry>,
) -> HttpResponse {
    let origin_ok = origin_allowed(config, req);
    if req.method == "OPTIONS" {
        return preflight(req, origin_ok);
    }
    let response = handle_post(config, app, req, constraints, telemetry).await;
    with_cors(response, req, origin_ok)
}

async fn handle_post(
    config: &Config,
    app: &App,
    req: &HttpRequest,
    constraints: Constraints,
    telemetry: &Rc<Telemetry>,
) -> HttpResponse {
    if let Some(limited) = address_limit_unless_caller(config, app, req).await {
        return limited;
    }
    if req.method != "POST" {
        // No standalone SSE stream and no sessions to delete: 405, never 404 (clients read 404 as
        // "session expired" or "try the old SSE transport").
        return oauth_error(
            405,
            OAuthErrorCode::MethodNotAllowed,
            "This MCP endpoint only accepts POST (Streamable HTTP, stateless).",
        )
        .with_header("allow", "POST, OPTIONS");
    }
    if let Some(refused) = refused_by_host_or_origin(config, req) {
        return refused;
    }
    let caller = match authenticate(config, app, req, constraints, telemetry).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    if let Some(resp) = content_checks(req) {
        return resp;
    }
    if caller.grant_id.is_some() {
        if let Some((needed, tool)) = missing_skill(&req.body, &caller.session) {
            return insufficient_scope(req, caller.session.skills, needed, &tool);
        }
    }
    let upstream = UpstreamSignals::default();
    let response = serve(config, app, req, caller.session, telemetry, &upstream).await;
    // With OAuth, a 401 from Sentry revokes the grant. A streamed answer has already gone out with
    // its status; the next call that reaches Sentry meets the same 401 and revokes the grant then.
    if let (Some(grant_id), Some(setup)) = (&caller.grant_id, app.oauth.as_ref()) {
        if upstream.token_rejected() && response.stream.is_none() {
            bearer::upstream_rejected(setup.store.as_ref(), app.platform.as_ref(), grant_id).await;
            return oauth_challenge(
                req,
                Some("Sentry no longer accepts this authorization; authorize again"),
            );
        }
    }
    response
}

/// Authenticated traffic is limited per caller only, so callers behind one address (an office)
/// do not share a budget; a request whose headers name no caller is limited per address, before
/// anything else (an OAuth token that then fails to authenticate pays in [`authenticate`]).
pub(super) async fn address_limit_unless_caller(
    config: &Config,
    app: &App,
    req: &HttpRequest,
) -> Option<HttpResponse> {
    let names_caller = match credentials::parse(&req.headers) {
        Ok(Credentials::SentryBearer(_)) => config.sentry_bearer_enabled,
        Ok(Credentials::OAuthBearer(_)) => app.oauth.is_some(),
        Err(_) => false,
    };
    if names_caller {
        return None;
    }
    app.address_limit(req).await
}

/// Who is calling, once the credentials passed.
pub(super) struct Caller {
    /// What the MCP request runs with.
    pub session: Session,
    /// The fingerprint the per-caller limit and the logs use (hashed Sentry token, or grant).
    pub fingerprint: String,
    /// The OAuth grant behind an access token of ours.
    pub grant_id: Option<String>,
}

/// The credential checks every MCP request passes, whatever its transport: credentials (401/400;
/// `credentials` reads the headers, `oauth::bearer` validates our own tokens against `req.url`,
/// so the caller passes the `/mcp` URL the request stands for), the per-caller rate limit (429)
/// and, for Sentry-Bearer, `?skills=` (400). With OAuth the grant decides the skills (`?skills=`
/// narrows Sentry-Bearer connections only); the URL constraints come from the path, which the
/// audience check has just placed at or below the grant's resource.
pub(super) async fn authenticate(
    config: &Config,
    app: &App,
    req: &HttpRequest,
    constraints: Constraints,
    telemetry: &Rc<Telemetry>,
) -> Result<Caller, HttpResponse> {
    let token = match credentials::parse(&req.headers) {
        Ok(Credentials::SentryBearer(t)) if config.sentry_bearer_enabled => t,
        Ok(Credentials::SentryBearer(_)) => return Err(sentry_bearer_rejected(req, "Sentry token access (Sentry-Bearer, or a Sentry token as Bearer) is disabled on this server; connect with OAuth instead")),
        Ok(Credentials::OAuthBearer(t)) => {
            let Some(setup) = app.oauth.as_ref() else { return Err(oauth_challenge(req, Some("The access token is not valid for this server; authorize again"))) };
            let authorized =
                match bearer::authenticate(setup.store.as_ref(), app.platform.as_ref(), req, &t).await {
                    Ok(a) => a,
                    Err(e) => {
                        // A token that does not authenticate names no caller: the address pays.
                        if let Some(limited) = app.address_limit(req).await {
                            return Err(limited);
                        }
                        return Err(oauth_challenge(req, Some(&e.to_string())));
                    }
                };
            telemetry.set_access_method(AccessMethod::OAuth.id());
            let caller = fingerprint("grant", &authorized.grant_id);
            telemetry.set_caller(caller.clone());
            if let Some(limited) = caller_limit(app, req, &caller).await {
                return Err(limited);
            }
            let session = Session {
                upstream_token: authorized.upstream_token,
                access: AccessMethod::OAuth,
                skills: authorized.skills,
                constraints,
                agent_off: agent_from_query(req)
                    .map_err(|msg| oauth_error(400, OAuthErrorCode::InvalidRequest, &msg))?,
            };
            return Ok(Caller { session, fingerprint: caller, grant_id: Some(authorized.grant_id) });
        }
        Err(CredentialError::Missing) => return Err(oauth_challenge(req, None)),
        Err(CredentialError::MalformedBearer) => return Err(oauth_challenge(req, Some("The Authorization header is not a usable Bearer token"))),
        Err(CredentialError::MalformedSentryBearer) => {
            return Err(sentry_bearer_rejected(req, "Missing or invalid Sentry-Bearer token: send 'Authorization: Sentry-Bearer <token>' with one Sentry auth token"))
        }
        Err(CredentialError::OwnTokenAsSentryBearer) => {
            return Err(sentry_bearer_rejected(req, "This is an access token issued by this server, not a Sentry token; send it as 'Authorization: Bearer <token>'"))
        }
        Err(CredentialError::Conflict) => {
            return Err(oauth_error(400, OAuthErrorCode::InvalidRequest, "Send exactly one credential: either Authorization or Sentry-Bearer, not both."))
        }
    };
    telemetry.set_access_method(AccessMethod::SentryBearer.id());
    let caller = fingerprint("token", &token);
    telemetry.set_caller(caller.clone());
    if let Some(limited) = caller_limit(app, req, &caller).await {
        return Err(limited);
    }
    let skills = skills_from_query(req)
        .map_err(|msg| oauth_error(400, OAuthErrorCode::InvalidRequest, &msg))?;
    let agent_off = agent_from_query(req)
        .map_err(|msg| oauth_error(400, OAuthErrorCode::InvalidRequest, &msg))?;
    let session = Session {
        upstream_token: token,
        access: AccessMethod::SentryBearer,
        skills,
        constraints,
        agent_off,
    };
    Ok(Caller { session, fingerprint: caller, grant_id: None })
}

/// Run the MCP request for an authenticated session: plain JSON, or an SSE stream when the
/// request asks for progress.
async fn serve(
    config: &Config,
    app: &App,
    req: &HttpRequest,
    session: Session,
    telemetry: &Rc<Telemetry>,
    upstream: &UpstreamSignals,
) -> HttpResponse {
    if let Some(org) = &session.constraints.organization {
        telemetry.set_organization(org);
    }
    // Parsed once here, to see whether it asks for progress, and handed on as it is.
    let message = serde_json::from_slice::<serde_json::Value>(&req.body);
    let mut response = if wants_progress_stream(req, message.as_ref().ok()) {
        streamed(config, app, req, session, telemetry.clone()).await
    } else {
        let ctx = McpContext {
            session: &session,
            config,
            platform: app.platform.as_ref(),
            caches: &app.caches,
            notifications: None,
            telemetry,
            upstream,
        };
        mcp::handle_parsed(&ctx, &req.headers, message).await
    };
    response.headers.set("cache-control", "no-store");
    response
}

/// A `tools/call` carrying a `progressToken` from a client that accepts SSE may get its progress
/// notifications on an event stream; so does a `subscriptions/listen` its acknowledgement.
fn wants_progress_stream(req: &HttpRequest, message: Option<&serde_json::Value>) -> bool {
    let accepts_sse = req
        .headers
        .get("accept")
        .is_some_and(|a| a.to_ascii_lowercase().contains("text/event-stream"));
    accepts_sse
        && message.is_some_and(|m| {
            let method = m.get("method").and_then(serde_json::Value::as_str);
            method == Some("subscriptions/listen")
                || (method == Some("tools/call")
                    && m.pointer("/params/_meta/progressToken").is_some())
        })
}

/// Sends notifications as SSE `message` events into the response stream.
struct SseSink(UnboundedSender<Vec<u8>>);

impl NotificationSink for SseSink {
    fn send(&self, message: &serde_json::Value) -> bool {
        self.0.unbounded_send(sse_event(&serde_json::to_vec(message).unwrap_or_default())).is_ok()
    }
}

pub(super) fn sse_event(json: &[u8]) -> Vec<u8> {
    let mut chunk = b"event: message\ndata: ".to_vec();
    chunk.extend_from_slice(json);
    chunk.extend_from_slice(b"\n\n");
    chunk
}

/// Run the request; if it finishes before sending any notification, answer with plain JSON (so
/// every status code stays what it would be); once a notification is sent, switch to an SSE stream
/// carrying the notifications and then the final response, and keep the work running behind it.
async fn streamed(
    config: &Config,
    app: &App,
    req: &HttpRequest,
    session: Session,
    telemetry: Rc<Telemetry>,
) -> HttpResponse {
    let (tx, mut rx) = futures_channel::mpsc::unbounded::<Vec<u8>>();
    let sink: Rc<dyn NotificationSink> = Rc::new(SseSink(tx.clone()));
    let (config, platform, caches, headers, body) = (
        config.clone(),
        app.platform.clone(),
        app.caches.clone(),
        req.headers.clone(),
        req.body.clone(),
    );
    let work: Pin<Box<dyn Future<Output = HttpResponse>>> = Box::pin(async move {
        // A streamed answer has gone out with its status before Sentry could reject the token,
        // so its upstream signals are not acted on: the next call meets the same 401.
        let upstream = UpstreamSignals::default();
        let ctx = McpContext {
            session: &session,
            config: &config,
            platform: platform.as_ref(),
            caches: &caches,
            notifications: Some(sink),
            telemetry: &telemetry,
            upstream: &upstream,
        };
        mcp::handle(&ctx, &headers, &body).await
    });
    match select(work, rx.next()).await {
        Either::Left((response, _)) => {
            // Notifications sent by a request that then finished at once (the acknowledgement
            // of `subscriptions/listen`) still go out, ahead of the response.
            let mut body = Vec::new();
            while let Ok(chunk) = rx.try_recv() {
                body.extend_from_slice(&chunk);
            }
            if body.is_empty() || response.status != 200 {
                return response;
            }
            body.extend_from_slice(&sse_event(&response.body));
            let mut r = HttpResponse::new(200);
            r.headers.set("content-type", "text/event-stream");
            r.body = body;
            r
        }
        Either::Right((first, work)) => {
            let finish = async move {
                let response = work.await;
                let _ = tx.unbounded_send(sse_event(&response.body));
            };
            let chunks = futures_util::stream::iter(first).chain(rx);
            let mut r = HttpResponse::new(200);
            r.headers.set("content-type", "text/event-stream");
            r.headers.set("x-accel-buffering", "no");
            r.stream = Some(EventStream { chunks: Box::pin(chunks), work: Box::pin(finish) });
            r
        }
    }
}

/// The per-caller rate limit: one unit for the request, and one more for every further
/// `tools/call` of a batch, so a batch costs what its calls would cost one by one.
async fn caller_limit(app: &App, req: &HttpRequest, caller: &str) -> Option<HttpResponse> {
    for _ in 0..1 + extra_tool_calls(&req.body) {
        if let Some(limited) = app.rate_limit(Limiter::PerCaller, caller).await {
            return Some(limited);
        }
    }
    None
}

/// How many `tools/call` messages a batch body holds beyond the first (0 for a single message;
/// the protocol layer refuses batches larger than `mcp::MAX_BATCH_MESSAGES`).
fn extra_tool_calls(body: &[u8]) -> usize {
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'[') {
        return 0;
    }
    let Ok(serde_json::Value::Array(items)) = serde_json::from_slice(body) else { return 0 };
    let calls = items
        .iter()
        .take(mcp::MAX_BATCH_MESSAGES)
        .filter(|m| m.get("method").and_then(serde_json::Value::as_str) == Some("tools/call"))
        .count();
    calls.saturating_sub(1)
}

/// `?skills=a,b` replaces the default set (all skills); `?disable-skills=x` removes from it.
fn skills_from_query(req: &HttpRequest) -> Result<SkillSet, String> {
    let pairs: Vec<(String, String)> =
        req.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    SkillSet::choose(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(|e| e.to_string())
}

/// `?agent=off` opts this connection out of the embedded agent.
fn agent_from_query(req: &HttpRequest) -> Result<bool, String> {
    let pairs: Vec<(String, String)> =
        req.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    crate::session::agent_opt_out(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// 415 for a non-JSON body, 406 when the client cannot accept JSON.
pub(super) fn content_checks(req: &HttpRequest) -> Option<HttpResponse> {
    let content_type = req.headers.get("content-type").unwrap_or("").to_ascii_lowercase();
    if !content_type.trim_start().starts_with("application/json") {
        let err = RpcError::invalid_request(
            "Unsupported Media Type: send the JSON-RPC message with Content-Type: application/json",
        );
        return Some(mcp::http_error(&err, Stage::Refused(Refusal::MediaType)));
    }
    if let Some(accept) = req.headers.get("accept") {
        let a = accept.to_ascii_lowercase();
        if !(a.contains("application/json") || a.contains("*/*") || a.contains("application/*")) {
            let err = RpcError::invalid_request(
                "Not Acceptable: this server answers with application/json; include it in Accept",
            );
            return Some(mcp::http_error(&err, Stage::Refused(Refusal::NotAcceptable)));
        }
    }
    None
}

/// 403 for a Host not served here (DNS-rebinding protection) or an Origin not allowed.
pub(super) fn refused_by_host_or_origin(
    config: &Config,
    req: &HttpRequest,
) -> Option<HttpResponse> {
    if !host_allowed(config, req) {
        let err = RpcError::invalid_request("Forbidden: this Host is not served here (DNS-rebinding protection; see MCP_ALLOWED_HOSTS)");
        return Some(mcp::http_error(&err, Stage::Refused(Refusal::Host)));
    }
    if !origin_allowed(config, req) {
        let err = RpcError::invalid_request("Forbidden: this Origin may not call the MCP endpoint (set MCP_ALLOWED_ORIGINS to allow a browser client)");
        return Some(mcp::http_error(&err, Stage::Refused(Refusal::Origin)));
    }
    None
}

/// With `MCP_ALLOWED_HOSTS` set, the Host header must name one of them (port ignored).
fn host_allowed(config: &Config, req: &HttpRequest) -> bool {
    if config.allowed_hosts.is_empty() {
        return true;
    }
    let host = req
        .headers
        .get("host")
        .map(str::to_string)
        .unwrap_or_else(|| req.url.host_str().unwrap_or_default().to_string());
    let name = match host.strip_prefix('[') {
        Some(v6) => format!("[{}]", v6.split(']').next().unwrap_or_default()),
        None => host.split(':').next().unwrap_or_default().to_string(),
    };
    config.allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(&name))
}

/// A present Origin must be this server's own, or one the operator allowed.
fn origin_allowed(config: &Config, req: &HttpRequest) -> bool {
    let Some(origin) = req.headers.get("origin").map(str::trim) else { return true };
    let own = req.url.origin().ascii_serialization();
    origin.eq_ignore_ascii_case(&own)
        || config.allowed_origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
}

fn preflight(req: &HttpRequest, origin_ok: bool) -> HttpResponse {
    let mut r = HttpResponse::new(204);
    if origin_ok && req.headers.get("origin").is_some() {
        r.headers.set("access-control-allow-methods", "POST, OPTIONS");
        r.headers.set("access-control-allow-headers", CORS_ALLOW_HEADERS);
        r.headers.set("access-control-max-age", "86400");
    }
    with_cors(r, req, origin_ok)
}

fn with_cors(mut r: HttpResponse, req: &HttpRequest, origin_ok: bool) -> HttpResponse {
    if let (true, Some(origin)) = (origin_ok, req.headers.get("origin")) {
        r.headers.set("access-control-allow-origin", origin);
        r.headers.set("access-control-expose-headers", CORS_EXPOSE_HEADERS);
        r.headers.set("vary", "Origin");
    }
    r
}

/// The protected-resource metadata URL for this exact MCP path (no query: options are not part
/// of the resource identifier).
pub(super) fn resource_metadata_url(req: &HttpRequest) -> String {
    format!(
        "{}/.well-known/oauth-protected-resource{}",
        req.url.origin().ascii_serialization(),
        req.url.path().trim_end_matches('/')
    )
}

/// The `scope` of a challenge: skill ids, space-separated.
fn scope_param(skills: SkillSet) -> String {
    skills.iter().map(|s| s.id()).collect::<Vec<_>>().join(" ")
}

/// 401 that starts (or restarts) OAuth. No `error` parameter when no credentials were sent.
/// `scope` names the baseline a new grant should ask for: every skill, as a connection without
/// `?skills=` gets (the consent page lets the user narrow it).
pub(super) fn oauth_challenge(req: &HttpRequest, problem: Option<&str>) -> HttpResponse {
    let metadata = resource_metadata_url(req);
    let scope = scope_param(SkillSet::all());
    let (challenge, error) = match problem {
        None => (
            format!("Bearer resource_metadata=\"{metadata}\", scope=\"{scope}\""),
            OAuthError::new(OAuthErrorCode::Unauthorized, "Authentication required: connect with OAuth, or send your Sentry user token as 'Authorization: Sentry-Bearer <token>'."),
        ),
        Some(p) => {
            let error = OAuthError::new(OAuthErrorCode::InvalidToken, p);
            (
                format!("Bearer error=\"{}\", error_description=\"{p}\", resource_metadata=\"{metadata}\", scope=\"{scope}\"", error.code),
                error,
            )
        }
    };
    error.response(401).with_header("www-authenticate", challenge)
}

/// 403 `insufficient_scope` (step-up, MCP 2025-11-25 "Scope Challenge Handling"): the call needs
/// a skill the grant does not hold. `scope` lists everything the operation needs: the skills
/// already granted plus the missing one, so a client that replaces its scopes loses nothing.
fn insufficient_scope(
    req: &HttpRequest,
    granted: SkillSet,
    needed: Skill,
    tool: &str,
) -> HttpResponse {
    let metadata = resource_metadata_url(req);
    let scope = scope_param(granted.with(needed));
    let description = format!(
        "The tool '{}' needs the '{}' permission, which this authorization does not grant; authorize again with scope '{scope}'",
        tool,
        needed.id()
    );
    let error = OAuthError::new(OAuthErrorCode::InsufficientScope, &description);
    error.response(403).with_header(
        "www-authenticate",
        format!("Bearer error=\"{}\", scope=\"{scope}\", resource_metadata=\"{metadata}\", error_description=\"{description}\"", error.code),
    )
}

/// The skill a single `tools/call` in `body` needs that `session` does not hold: the tool (or
/// the official name it aliases) exists and is visible at this path, but none of its skills is
/// granted. Batches and other methods are left to the protocol layer. The name returned is a
/// known tool or alias name (it goes into a header), never arbitrary input.
fn missing_skill(body: &[u8], session: &Session) -> Option<(Skill, String)> {
    let message: serde_json::Value = serde_json::from_slice(body).ok()?;
    if message.get("method")?.as_str()? != "tools/call" {
        return None;
    }
    let name = message.get("params")?.get("name")?.as_str()?;
    let target = crate::tools::aliases::find(name).map_or(name, |a| a.tool);
    match crate::tools::lookup(target, session) {
        Err(crate::tools::Unavailable::NeedsSkill(skills)) => {
            skills.first().map(|s| (*s, name.to_string()))
        }
        _ => None,
    }
}

fn sentry_bearer_rejected(_req: &HttpRequest, description: &str) -> HttpResponse {
    let error = OAuthError::new(OAuthErrorCode::InvalidToken, description);
    error.response(401).with_header(
        "www-authenticate",
        format!(
            "Sentry-Bearer realm=\"Sentry MCP\", error=\"{}\", error_description=\"{description}\"",
            error.code
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_counts_its_tool_calls() {
        let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}"#;
        let ping = r#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#;
        assert_eq!(extra_tool_calls(call.as_bytes()), 0);
        assert_eq!(extra_tool_calls(format!(" [{call},{call},{ping},{call}]").as_bytes()), 2);
        assert_eq!(extra_tool_calls(format!("[{ping}]").as_bytes()), 0);
        assert_eq!(extra_tool_calls(b"[not json"), 0);
    }
}
