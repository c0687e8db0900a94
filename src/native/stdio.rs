//! The stdio transport: newline-delimited JSON-RPC on stdin and stdout, logs on stderr.
//!
//! A reader thread turns stdin into bounded lines; the single-threaded runtime answers each
//! message in its own task through the same [`mcp::dispatch`] the worker uses and writes each
//! answer as one compact line (serde_json never emits a raw newline). Requests run concurrently,
//! so a slow Sentry call blocks neither other requests nor shutdown: `notifications/cancelled`
//! aborts a request, SIGINT and SIGTERM stop at once, and at the end of input requests still in
//! flight get a short grace (MCP clients close stdin, wait about two seconds, then send SIGTERM).

use std::cell::Cell;
use std::collections::HashMap;
use std::io::{self, BufRead, Read, Write};
use std::rc::Rc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};
use tokio::task::{AbortHandle, JoinSet, LocalSet};

use super::platform::NativePlatform;
use super::settings::Settings;
use crate::caches::Caches;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::{self, Answer, McpContext, Stage, StdioConnection, Transport};
use crate::platform::services::NoServices;
use crate::platform::{LogLevel, Platform};
use crate::sentry::UpstreamSignals;
use crate::telemetry::{Telemetry, TransportKind};
use crate::tools::NotificationSink;

/// Longest accepted line, as the worker's body limit; longer lines are skipped and answered with
/// an error instead of being buffered.
const MAX_LINE_BYTES: usize = 1 << 20;
/// Requests answered at once; beyond this, stdin is not read until one finishes.
const MAX_IN_FLIGHT: usize = 16;
/// How long requests in flight may finish after stdin closes.
const EOF_GRACE: Duration = Duration::from_secs(2);

/// Why the server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    EndOfInput,
    Signal(&'static str),
    OutputClosed,
}

/// Serve until stdin ends, a signal arrives or stdout is closed.
pub(crate) fn serve(settings: Settings) -> Stop {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a single-threaded tokio runtime");
    let local = LocalSet::new();
    let stop = local.block_on(&runtime, run(settings));
    {
        // Requests still in flight are abandoned here; nobody is waiting for them.
        let _context = runtime.enter();
        drop(local);
    }
    // Do not wait for blocking work (a DNS lookup, say); the process is about to exit.
    runtime.shutdown_background();
    stop
}

/// What every request task shares.
struct Server {
    settings: Settings,
    platform: NativePlatform,
    /// Sentry regions and exhausted endpoints, for the life of the process.
    caches: Caches,
    connection: StdioConnection,
    output: Output,
}

async fn run(settings: Settings) -> Stop {
    // Signal handlers first, so a signal sent once the start line is logged is always handled.
    let mut signals = Signals::new();
    let server = Rc::new(Server {
        settings,
        platform: NativePlatform::default(),
        caches: Caches::new(),
        connection: StdioConnection::default(),
        output: Output::default(),
    });
    let mut input = read_stdin();
    server.platform.log(LogLevel::Info, &start_line(&server.settings));
    let mut tasks = JoinSet::new();
    let mut in_flight: HashMap<String, AbortHandle> = HashMap::new();

    let mut stop = loop {
        tokio::select! {
            line = input.recv(), if tasks.len() < MAX_IN_FLIGHT => match line {
                Some(line) => accept(&server, line, &mut tasks, &mut in_flight),
                None => break Stop::EndOfInput,
            },
            Some(_) = tasks.join_next() => in_flight.retain(|_, task| !task.is_finished()),
            signal = signals.recv() => break Stop::Signal(signal),
            () = server.output.closed.notified() => break Stop::OutputClosed,
        }
    };
    if stop == Stop::EndOfInput && !tasks.is_empty() {
        let drain = async { while tasks.join_next().await.is_some() {} };
        tokio::select! {
            _ = tokio::time::timeout(EOF_GRACE, drain) => {}
            signal = signals.recv() => stop = Stop::Signal(signal),
        }
    }
    let reason = match stop {
        Stop::EndOfInput => "end of input",
        Stop::Signal(name) => name,
        Stop::OutputClosed => "stdout closed",
    };
    server.platform.log(
        LogLevel::Info,
        &json!({"event": "stop", "reason": reason, "abandoned_requests": tasks.len()}).to_string(),
    );
    stop
}

/// Start answering one line.
fn accept(
    server: &Rc<Server>,
    line: Line,
    tasks: &mut JoinSet<()>,
    in_flight: &mut HashMap<String, AbortHandle>,
) {
    let transport = Transport::Stdio(&server.connection);
    let message: Value = match line {
        Line::TooLong => {
            let error = RpcError::invalid_request(format!(
                "Invalid Request: the line is longer than {MAX_LINE_BYTES} bytes"
            ));
            return server.output.send(&Answer::Error {
                id: Value::Null,
                error,
                stage: Stage::Message,
            });
        }
        Line::Text(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => return,
        Line::Text(bytes) => match serde_json::from_slice(&bytes) {
            Ok(message) => message,
            Err(e) => return server.output.send(&mcp::parse_error(&transport, &e)),
        },
    };
    if let Some(task) = cancelled_request(&message).and_then(|id| in_flight.remove(&id)) {
        task.abort();
        server.platform.log(LogLevel::Info, &json!({"event": "request_cancelled"}).to_string());
    }
    let key = request_key(&message);
    let shared = Rc::clone(server);
    let task = tasks.spawn_local(async move {
        let session = &shared.settings.session;
        let telemetry = Telemetry::new(
            shared.settings.config.telemetry.clone(),
            TransportKind::Stdio,
            &shared.platform,
            Rc::new(NoServices),
            None,
        );
        telemetry.set_access_method(session.access.id());
        telemetry.set_caller(crate::digest::fingerprint("token", &session.upstream_token));
        if let Some(org) = &session.constraints.organization {
            telemetry.set_organization(org);
        }
        let notifications: Rc<dyn NotificationSink> = shared.clone();
        let upstream = UpstreamSignals::default();
        let ctx = McpContext {
            session,
            config: &shared.settings.config,
            platform: &shared.platform,
            caches: &shared.caches,
            notifications: Some(notifications),
            telemetry: &telemetry,
            upstream: &upstream,
        };
        let answer = mcp::dispatch(&ctx, &Transport::Stdio(&shared.connection), message).await;
        shared.output.send(&answer);
    });
    if let Some(key) = key {
        in_flight.insert(key, task);
    }
}

/// The id of a request, as JSON text (so `1` and `"1"` stay distinct).
fn request_key(message: &Value) -> Option<String> {
    message.get("method")?;
    message.get("id").map(Value::to_string)
}

/// The request a `notifications/cancelled` names.
fn cancelled_request(message: &Value) -> Option<String> {
    if message.get("method").and_then(Value::as_str) != Some("notifications/cancelled")
        || message.get("id").is_some()
    {
        return None;
    }
    message.pointer("/params/requestId").map(Value::to_string)
}

fn start_line(settings: &Settings) -> String {
    let session = &settings.session;
    json!({
        "event": "start",
        "transport": "stdio",
        "version": crate::SERVER_VERSION,
        "sentry": settings.config.sentry.base.as_str().trim_end_matches('/'),
        "skills": session.skills.iter().map(|s| s.id()).collect::<Vec<_>>(),
        "organization": session.constraints.organization,
        "project": session.constraints.project,
        "embeddedAgent": if session.agent_off {
            json!({ "enabled": false, "reason": "--no-agent turns it off for this connection" })
        } else {
            settings.config.agent.status()
        },
    })
    .to_string()
}

/// stdout, written one whole line at a time.
#[derive(Default)]
struct Output {
    broken: Cell<bool>,
    /// Signalled once when a write fails: the client is gone.
    closed: Notify,
}

impl Output {
    fn send(&self, answer: &Answer) {
        let Some(mut line) = answer.bytes() else { return };
        line.push(b'\n');
        let mut stdout = io::stdout().lock();
        if stdout.write_all(&line).and_then(|()| stdout.flush()).is_err()
            && !self.broken.replace(true)
        {
            self.closed.notify_one();
        }
    }
}

/// Progress notifications go to stdout as lines, like answers.
impl NotificationSink for Server {
    fn send(&self, message: &Value) -> bool {
        self.output.send(&Answer::Message(message.clone()));
        !self.output.broken.get()
    }
}

/// One line of input, without its newline.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    Text(Vec<u8>),
    /// Longer than [`MAX_LINE_BYTES`]; its bytes were skipped.
    TooLong,
}

/// Read stdin on its own thread (a blocking read cannot be cancelled, and must not hold up exit).
/// The channel closes at end of input.
fn read_stdin() -> mpsc::Receiver<Line> {
    let (sender, receiver) = mpsc::channel(MAX_IN_FLIGHT);
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let mut stdin = io::stdin().lock();
            while let Ok(Some(line)) = read_line(&mut stdin, MAX_LINE_BYTES) {
                if sender.blocking_send(line).is_err() {
                    break;
                }
            }
        })
        .expect("a thread to read stdin");
    receiver
}

/// The next line of at most `max` bytes; `None` at end of input. A last line without a newline
/// counts.
fn read_line(input: &mut impl BufRead, max: usize) -> io::Result<Option<Line>> {
    let mut buf = Vec::new();
    input.by_ref().take(max as u64 + 1).read_until(b'\n', &mut buf)?;
    if buf.is_empty() {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        return Ok(Some(Line::Text(buf)));
    }
    if buf.len() <= max {
        return Ok(Some(Line::Text(buf)));
    }
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        match chunk.iter().position(|b| *b == b'\n') {
            Some(end) => {
                input.consume(end + 1);
                break;
            }
            None => {
                let all = chunk.len();
                input.consume(all);
            }
        }
    }
    Ok(Some(Line::TooLong))
}

/// SIGTERM and SIGINT (Ctrl-C elsewhere).
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Self {
                terminate: signal(SignalKind::terminate()).expect("a SIGTERM handler"),
                interrupt: signal(SignalKind::interrupt()).expect("a SIGINT handler"),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.terminate.recv() => "SIGTERM",
                _ = self.interrupt.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<Line> {
        let mut reader = io::BufReader::with_capacity(4, input);
        std::iter::from_fn(|| read_line(&mut reader, max).unwrap()).collect()
    }

    #[test]
    fn lines_are_split_bounded_and_resynchronised() {
        let text = |s: &str| Line::Text(s.as_bytes().to_vec());
        assert_eq!(lines(b"a\nbb\n\nlast", 8), [text("a"), text("bb"), text(""), text("last")]);
        assert_eq!(lines(b"0123456789abcdef\nok\n", 8), [Line::TooLong, text("ok")]);
        assert_eq!(lines(b"01234567\n012345678", 8), [text("01234567"), Line::TooLong]);
        assert!(lines(b"", 8).is_empty());
    }

    #[test]
    fn requests_and_cancellations_are_keyed_by_their_json_id() {
        assert_eq!(
            request_key(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call"})).as_deref(),
            Some("7")
        );
        assert_eq!(
            request_key(&json!({"jsonrpc": "2.0", "id": "7", "method": "ping"})).as_deref(),
            Some("\"7\"")
        );
        assert_eq!(request_key(&json!({"jsonrpc": "2.0", "id": 7, "result": {}})), None);
        let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7, "reason": "user"}});
        assert_eq!(cancelled_request(&cancel).as_deref(), Some("7"));
        assert_eq!(
            cancelled_request(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})),
            None
        );
    }
}
