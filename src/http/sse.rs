//! The legacy HTTP+SSE transport (protocol 2024-11-05), for clients and gateways that speak only
//! it: `GET /sse[/{org}[/{project}]]` opens an event stream whose first event, `endpoint`, names
//! the session's message URL (`/message?sessionId=…`); each JSON-RPC message POSTed there is
//! answered `202 Accepted` and its response (and any progress notification) arrives on the stream.
//!
//! A session is held by whoever keeps its stream open (in the Worker, one Durable Object per
//! session, so a POST that lands on any isolate reaches it; `platform::services::SseCall`). Each
//! request passes exactly the checks of `/mcp` (Host, Origin, credentials, the per-caller rate
//! limit, `?skills=`), against the `/mcp` URL the session stands for: `/sse/acme?skills=inspect`
//! is `/mcp/acme?skills=inspect`, for constraints, skills and the OAuth audience alike. The
//! session id is 256 random bits and bound to the credential that opened it (the fingerprint of
//! the Sentry token, or the OAuth grant): a POST with another credential is refused, and every
//! POST is authenticated again, so a revoked token stops working at once. A session ends when its
//! stream closes or after `MCP_SSE_IDLE_SECS` (10 minutes by default) without a message.

use std::rc::Rc;

use futures_util::StreamExt;

use super::mcp_endpoint::{self, Caller};
use super::App;
use crate::config::Config;
use crate::mcp::{self, McpContext};
use crate::oauth::{bearer, oauth_error, OAuthErrorCode};
use crate::platform::http::{HttpRequest, HttpResponse};
use crate::platform::services::{SseCall, SseReply};
use crate::sentry::UpstreamSignals;
use crate::session::Constraints;
use crate::telemetry::Telemetry;
use crate::tools::NotificationSink;

/// The path messages are POSTed to (the `endpoint` event adds `?sessionId=`).
pub(super) const MESSAGE_PATH: &str = "/message";

/// `GET /sse[/{org}[/{project}]]`: authenticate as `/mcp` would and open a session.
pub(super) async fn open(
    config: &Config,
    app: &App,
    req: &HttpRequest,
    constraints: Constraints,
    telemetry: &Rc<Telemetry>,
) -> HttpResponse {
    if req.method != "GET" {
        return oauth_error(
            405,
            OAuthErrorCode::MethodNotAllowed,
            "Open the event stream with GET; send messages to the URL of its 'endpoint' event.",
        )
        .with_header("allow", "GET");
    }
    if let Some(limited) = mcp_endpoint::address_limit_unless_caller(config, app, req).await {
        return limited;
    }
    if let Some(refused) = mcp_endpoint::refused_by_host_or_origin(config, req) {
        return refused;
    }
    let mcp_path = format!("/mcp{}", req.url.path().strip_prefix("/sse").unwrap_or_default());
    let as_mcp = as_mcp_request(req, &mcp_path, req.url.query());
    let caller =
        match mcp_endpoint::authenticate(config, app, &as_mcp, constraints, telemetry).await {
            Ok(c) => c,
            Err(refused) => return refused,
        };
    let session_id = crate::platform::random_hex(app.platform.as_ref(), 32);
    let settings = match as_mcp.url.query() {
        Some(q) => format!("{}?{q}", as_mcp.url.path()),
        None => as_mcp.url.path().to_string(),
    };
    let first_event =
        format!("event: endpoint\ndata: {MESSAGE_PATH}?sessionId={session_id}\n\n").into_bytes();
    let call = SseCall::Open {
        caller: caller.fingerprint,
        settings,
        first_event,
        idle_secs: config.sse_idle_secs,
    };
    match app.services.sse(&session_id, call).await {
        None => not_served(),
        Some(Ok((SseReply::Opened, Some(mut stream)))) => {
            stream.headers.set("content-type", "text/event-stream");
            stream.headers.set("cache-control", "no-store");
            stream.headers.set("x-accel-buffering", "no");
            stream
        }
        Some(Ok(_)) | Some(Err(_)) => unavailable(app),
    }
}

/// `POST /message?sessionId=…`: authenticate as the session's `/mcp` URL, check the caller, run
/// the message and put its answer on the session's stream.
pub(super) async fn message(
    config: &Config,
    app: &App,
    req: &HttpRequest,
    telemetry: &Rc<Telemetry>,
) -> HttpResponse {
    if req.method != "POST" {
        return oauth_error(405, OAuthErrorCode::MethodNotAllowed, "POST JSON-RPC messages here.")
            .with_header("allow", "POST");
    }
    if let Some(limited) = mcp_endpoint::address_limit_unless_caller(config, app, req).await {
        return limited;
    }
    if let Some(refused) = mcp_endpoint::refused_by_host_or_origin(config, req) {
        return refused;
    }
    let Some(session_id) = session_id(req) else {
        return oauth_error(
            400,
            OAuthErrorCode::InvalidRequest,
            "sessionId is missing or malformed: POST to the URL of the stream's 'endpoint' event",
        );
    };
    let (owner, settings) = match app.services.sse(&session_id, SseCall::Lookup).await {
        None => return not_served(),
        Some(Ok((SseReply::Found { caller, settings }, _))) => (caller, settings),
        Some(Ok(_)) => return gone(),
        Some(Err(_)) => return unavailable(app),
    };
    let (path, query) =
        settings.split_once('?').map_or((settings.as_str(), None), |(p, q)| (p, Some(q)));
    let as_mcp = as_mcp_request(req, path, query);
    let Ok(constraints) = Constraints::from_mcp_path(path) else { return gone() };
    let caller =
        match mcp_endpoint::authenticate(config, app, &as_mcp, constraints, telemetry).await {
            Ok(c) => c,
            Err(refused) => return refused,
        };
    if !crate::oauth::crypto::ct_eq(&caller.fingerprint, &owner) {
        return oauth_error(
            403,
            OAuthErrorCode::InvalidToken,
            "This session was opened with another credential; open your own at GET /sse",
        );
    }
    if let Some(refused) = mcp_endpoint::content_checks(req) {
        return refused;
    }
    run(config, app, req, &session_id, caller, telemetry).await
}

/// Run the message with progress notifications forwarded to the stream as they come, then put
/// the answer there too. The POST is answered once that is done.
async fn run(
    config: &Config,
    app: &App,
    req: &HttpRequest,
    session_id: &str,
    caller: Caller,
    telemetry: &Rc<Telemetry>,
) -> HttpResponse {
    if let Some(org) = &caller.session.constraints.organization {
        telemetry.set_organization(org);
    }
    let (tx, mut rx) = futures_channel::mpsc::unbounded::<Vec<u8>>();
    let upstream = UpstreamSignals::default();
    let work = async {
        let ctx = McpContext {
            session: &caller.session,
            config,
            platform: app.platform.as_ref(),
            caches: &app.caches,
            notifications: Some(Rc::new(StreamSink(tx)) as Rc<dyn NotificationSink>),
            telemetry,
            upstream: &upstream,
        };
        mcp::handle(&ctx, &req.headers, &req.body).await
        // `ctx` (and with it the only sender) is dropped here, which ends the forwarding below.
    };
    let forward = async {
        let mut delivered = true;
        while let Some(event) = rx.next().await {
            delivered &= send(app, session_id, &caller.fingerprint, event).await;
        }
        delivered
    };
    let (answer, _) = futures_util::future::join(work, forward).await;
    if let (Some(grant_id), Some(setup)) = (&caller.grant_id, app.oauth.as_ref()) {
        if upstream.token_rejected() {
            bearer::upstream_rejected(setup.store.as_ref(), app.platform.as_ref(), grant_id).await;
        }
    }
    if !answer.body.is_empty()
        && !send(app, session_id, &caller.fingerprint, mcp_endpoint::sse_event(&answer.body)).await
    {
        return gone();
    }
    HttpResponse::text(202, "Accepted")
}

/// Put one event on the session's stream; `false` if it is gone.
async fn send(app: &App, session_id: &str, caller: &str, event: Vec<u8>) -> bool {
    let call = SseCall::Send { caller: caller.to_string(), event };
    matches!(app.services.sse(session_id, call).await, Some(Ok((SseReply::Sent, _))))
}

/// Notifications of a running message, on their way to the stream.
struct StreamSink(futures_channel::mpsc::UnboundedSender<Vec<u8>>);

impl NotificationSink for StreamSink {
    fn send(&self, message: &serde_json::Value) -> bool {
        let json = serde_json::to_vec(message).unwrap_or_default();
        self.0.unbounded_send(mcp_endpoint::sse_event(&json)).is_ok()
    }
}

/// The request as if it had been sent to `path?query` (the session's `/mcp` URL): what the
/// credential checks, the audience and `?skills=` are judged against.
fn as_mcp_request(req: &HttpRequest, path: &str, query: Option<&str>) -> HttpRequest {
    let mut url = req.url.clone();
    url.set_path(path);
    url.set_query(query);
    HttpRequest { url, ..req.clone() }
}

/// The session id of a message URL: 64 lowercase hex digits.
fn session_id(req: &HttpRequest) -> Option<String> {
    let id = req.url.query_pairs().find(|(k, _)| k == "sessionId")?.1.into_owned();
    (id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then_some(id)
}

fn gone() -> HttpResponse {
    oauth_error(404, OAuthErrorCode::NotFound, "This SSE session has ended (closed, expired or never opened); open a new one with GET /sse")
}

fn not_served() -> HttpResponse {
    oauth_error(404, OAuthErrorCode::NotFound, "The HTTP+SSE transport is not available on this deployment; connect to /mcp with Streamable HTTP")
}

fn unavailable(app: &App) -> HttpResponse {
    app.platform.log(
        crate::platform::LogLevel::Error,
        &serde_json::json!({"event": "sse_session_unavailable"}).to_string(),
    );
    oauth_error(
        503,
        OAuthErrorCode::TemporarilyUnavailable,
        "The session service is unavailable; try again",
    )
    .with_header("retry-after", "5")
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use async_trait::async_trait;

    use super::*;
    use crate::http::{handle, App};
    use crate::platform::http::Headers;
    use crate::platform::services::Services;
    use crate::platform::testing::{block_on, FakePlatform};

    /// A session holder in memory: one session at most, every call recorded.
    #[derive(Default)]
    struct FakeSessions {
        open: RefCell<Option<(String, String, String)>>,
        calls: RefCell<Vec<SseCall>>,
        events: RefCell<Vec<String>>,
    }

    #[async_trait(?Send)]
    impl Services for FakeSessions {
        async fn sse(
            &self,
            session_id: &str,
            call: SseCall,
        ) -> Option<Result<(SseReply, Option<HttpResponse>), String>> {
            self.calls.borrow_mut().push(call.clone());
            let open = self.open.borrow().clone();
            let reply = match (call, open) {
                (SseCall::Open { caller, settings, first_event, .. }, _) => {
                    *self.open.borrow_mut() = Some((session_id.into(), caller, settings));
                    let mut r = HttpResponse::new(200);
                    r.body = first_event;
                    return Some(Ok((SseReply::Opened, Some(r))));
                }
                (SseCall::Lookup, Some((id, caller, settings))) if id == session_id => {
                    SseReply::Found { caller, settings }
                }
                (SseCall::Send { caller, event }, Some((id, owner, _))) if id == session_id => {
                    if caller != owner {
                        SseReply::WrongCaller
                    } else {
                        self.events.borrow_mut().push(String::from_utf8(event).unwrap());
                        SseReply::Sent
                    }
                }
                _ => SseReply::Gone,
            };
            Some(Ok((reply, None)))
        }
    }

    fn send(
        sessions: &Rc<FakeSessions>,
        method: &str,
        url: &str,
        token: &str,
        body: &str,
    ) -> HttpResponse {
        let platform = Rc::new(FakePlatform::default());
        let app = App {
            config: Rc::new(Config::from_vars(|_| None)),
            platform,
            services: sessions.clone(),
            caches: Rc::new(crate::caches::Caches::new()),
            oauth: None,
        };
        let mut headers = Headers::new();
        headers.add("authorization", format!("Sentry-Bearer {token}"));
        headers.add("content-type", "application/json");
        let req = HttpRequest {
            method: method.into(),
            url: url::Url::parse(url).unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
        };
        block_on(handle(&app, req))
    }

    #[test]
    fn a_session_opens_as_its_mcp_url_and_takes_messages_from_its_caller_only() {
        let sessions = Rc::new(FakeSessions::default());
        let opened =
            send(&sessions, "GET", "https://x.example/sse/acme?skills=inspect", "sntryu_a", "");
        assert_eq!(opened.status, 200);
        assert_eq!(opened.headers.get("content-type"), Some("text/event-stream"));
        let first = String::from_utf8(opened.body).unwrap();
        let (id, owner, settings) = sessions.open.borrow().clone().unwrap();
        assert_eq!(first, format!("event: endpoint\ndata: /message?sessionId={id}\n\n"));
        assert_eq!(settings, "/mcp/acme?skills=inspect");
        assert!(!owner.contains("sntryu_a"), "only a fingerprint of the token is kept");

        let url = format!("https://x.example/message?sessionId={id}");
        let ping = r#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#;
        let accepted = send(&sessions, "POST", &url, "sntryu_a", ping);
        assert_eq!(accepted.status, 202);
        let events = sessions.events.borrow().clone();
        assert_eq!(events.len(), 1);
        assert!(events[0].starts_with("event: message\ndata: {"), "{}", events[0]);
        assert!(events[0].contains("\"id\":7"));
        assert!(!events[0].contains(r#""name":"update_issue""#), "the session's skills apply");
        assert!(events[0].contains(r#""name":"search_issues""#));
        assert!(!events[0].contains(r#""organizationSlug":{"#), "and its org constraint");

        let foreign = send(&sessions, "POST", &url, "sntryu_b", ping);
        assert_eq!(foreign.status, 403);
        let gone = send(&sessions, "POST", &url.replace(&id, &"0".repeat(64)), "sntryu_a", ping);
        assert_eq!(gone.status, 404);
        assert_eq!(sessions.events.borrow().len(), 1, "nothing else reached the stream");
        assert_eq!(send(&sessions, "POST", "https://x.example/sse", "sntryu_a", "").status, 405);
    }

    fn request(url: &str) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: url::Url::parse(url).unwrap(),
            headers: Headers::new(),
            body: b"{}".to_vec(),
        }
    }

    #[test]
    fn a_session_url_stands_for_its_mcp_url() {
        let r = as_mcp_request(
            &request("https://x.example/message?sessionId=1"),
            "/mcp/acme",
            Some("skills=inspect"),
        );
        assert_eq!(r.url.as_str(), "https://x.example/mcp/acme?skills=inspect");
        assert_eq!(r.body, b"{}");
    }

    #[test]
    fn session_ids_are_exactly_64_lowercase_hex_digits() {
        let id = "0123456789abcdef".repeat(4);
        assert_eq!(
            session_id(&request(&format!("https://x/message?sessionId={id}"))),
            Some(id.clone())
        );
        for bad in [id.to_uppercase(), id[..63].to_string(), format!("{id}0"), "../x".into()] {
            assert_eq!(session_id(&request(&format!("https://x/message?sessionId={bad}"))), None);
        }
        assert_eq!(session_id(&request("https://x/message")), None);
    }
}
