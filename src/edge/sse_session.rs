//! The Durable Object that holds one legacy HTTP+SSE session (`http::sse`): its event stream,
//! the fingerprint of the credential that opened it and what its messages run with.
//!
//! `GET /sse` opens it and gets back the stream, which starts with the `endpoint` event; a POST
//! on any isolate reaches the same object by the session id and puts its answer on the stream.
//! The stream carries a keep-alive comment every [`KEEPALIVE`] (or every half idle time, if that
//! is shorter) and ends after the session's idle time without a message; when it ends, or the client
//! goes away, the session is forgotten. Nothing is written to storage: a session lives exactly as
//! long as its stream.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender};
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use worker::durable::{ObjectNamespace, State};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response};

use crate::platform::http::{EventStream, HttpResponse};
use crate::platform::services::{SseCall, SseReply};

/// The binding name in `wrangler.toml`.
pub(super) const BINDING: &str = "MCP_SSE_SESSIONS";

/// How often an idle stream gets a comment, so proxies and clients keep it open.
const KEEPALIVE: Duration = Duration::from_secs(15);

struct Live {
    caller: String,
    settings: String,
    events: UnboundedSender<Vec<u8>>,
    last_message_ms: Rc<Cell<u64>>,
}

/// One SSE session (class `SseSession`, SQLite-backed as the free plan requires, storage unused).
#[allow(unreachable_pub)] // exported to JavaScript by `#[durable_object]`
#[durable_object(fetch)]
pub struct SseSession {
    live: Rc<RefCell<Option<Live>>>,
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

/// Forgets the session when its stream ends or is dropped (the client went away).
struct Forget(Rc<RefCell<Option<Live>>>);

impl Drop for Forget {
    fn drop(&mut self) {
        self.0.borrow_mut().take();
    }
}

struct Stream {
    first: Option<Vec<u8>>,
    events: UnboundedReceiver<Vec<u8>>,
    last_message_ms: Rc<Cell<u64>>,
    idle: Duration,
    _forget: Forget,
}

/// The session's events: the first one, then each message as it comes, a keep-alive comment when
/// nothing came for a while, and the end after `idle` without a message.
fn events(s: Stream) -> impl futures_util::Stream<Item = Vec<u8>> {
    futures_util::stream::unfold(s, |mut s| async move {
        if let Some(first) = s.first.take() {
            return Some((first, s));
        }
        let tick = Box::pin(super::platform::sleep(KEEPALIVE.min(s.idle / 2)));
        let next = match select(s.events.next(), tick).await {
            Either::Left((event, _)) => event,
            Either::Right(((), _)) => {
                let quiet = Duration::from_millis(now_ms().saturating_sub(s.last_message_ms.get()));
                (quiet < s.idle).then(|| b": keep-alive\n\n".to_vec())
            }
        };
        next.map(|chunk| (chunk, s))
    })
}

impl DurableObject for SseSession {
    fn new(_state: State, _env: Env) -> Self {
        Self { live: Rc::new(RefCell::new(None)) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let call: SseCall = req.json().await?;
        let reply = match call {
            SseCall::Open { caller, settings, first_event, idle_secs } => {
                if self.live.borrow().is_some() {
                    return Response::error("session exists", 409);
                }
                let (tx, rx) = futures_channel::mpsc::unbounded();
                let last_message_ms = Rc::new(Cell::new(now_ms()));
                *self.live.borrow_mut() = Some(Live {
                    caller,
                    settings,
                    events: tx,
                    last_message_ms: last_message_ms.clone(),
                });
                let stream = events(Stream {
                    first: Some(first_event),
                    events: rx,
                    last_message_ms,
                    idle: Duration::from_secs(idle_secs),
                    _forget: Forget(self.live.clone()),
                });
                return Response::from_stream(stream.map(Ok::<Vec<u8>, worker::Error>));
            }
            SseCall::Lookup => match self.live.borrow().as_ref() {
                Some(l) => {
                    SseReply::Found { caller: l.caller.clone(), settings: l.settings.clone() }
                }
                None => SseReply::Gone,
            },
            SseCall::Send { caller, event } => match self.live.borrow().as_ref() {
                None => SseReply::Gone,
                Some(l) if l.caller != caller => SseReply::WrongCaller,
                Some(l) if l.events.unbounded_send(event).is_ok() => {
                    l.last_message_ms.set(now_ms());
                    SseReply::Sent
                }
                Some(_) => SseReply::Gone,
            },
        };
        Response::from_json(&reply)
    }
}

/// Call the session object `session_id` from the worker.
pub(super) async fn call(
    sessions: &ObjectNamespace,
    session_id: &str,
    call: SseCall,
) -> Result<(SseReply, Option<HttpResponse>), String> {
    let fail = |e: worker::Error| format!("SSE session: {e}");
    let opening = matches!(call, SseCall::Open { .. });
    let stub = sessions.get_by_name(session_id).map_err(fail)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(&call).map_err(|e| e.to_string())?.into()));
    let req = Request::new_with_init("https://sse-session/", &init).map_err(fail)?;
    let mut resp = stub.fetch_with_request(req).await.map_err(fail)?;
    if resp.status_code() != 200 {
        return Err(format!("SSE session: status {}", resp.status_code()));
    }
    if !opening {
        return Ok((resp.json().await.map_err(fail)?, None));
    }
    let body = resp.stream().map_err(fail)?;
    let chunks = body.take_while(|c| std::future::ready(c.is_ok())).map(Result::unwrap_or_default);
    let mut out = HttpResponse::new(200);
    out.stream = Some(EventStream { chunks: Box::pin(chunks), work: Box::pin(async {}) });
    Ok((SseReply::Opened, Some(out)))
}
