//! The browser sign-in `auth login` falls back to when Sentry has no device endpoint: the OAuth
//! authorization-code flow with PKCE (RFC 7636, S256) through a loopback redirect (RFC 8252 §7.3).
//!
//! Why a loopback listener: a public client has no secret, so the code must come back to this
//! process and nowhere else. The listener binds 127.0.0.1 on a port the system picks, answers one
//! callback whose `state` matches (anything else gets an error page and is ignored), and stops
//! waiting after [`WAIT`]. The authorize link is printed for the user to open (and handed to the
//! system's opener when there is one, unless `SENTRY_MCP_NO_BROWSER` is set); the token is not.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use url::Url;

use super::{endpoint, oauth_error, post_form, token_answer, AuthError, Login, SCOPES};
use crate::config::Config;
use crate::platform::{random_hex, Platform};

/// How long the user has to approve in the browser.
const WAIT: Duration = Duration::from_secs(300);
/// How often the listener is checked while waiting.
const POLL: Duration = Duration::from_millis(100);
/// How long one browser connection may take to send its request line.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
const CALLBACK_PATH: &str = "/callback";

/// Sign in through the browser: print the authorize link, take the code from the loopback
/// callback, exchange it with the PKCE verifier.
pub(super) async fn login(
    platform: &dyn Platform,
    config: &Config,
    client_id: &str,
    out: &mut dyn Write,
) -> Result<Login, AuthError> {
    let base = &config.sentry.base;
    let loopback = |e: std::io::Error| AuthError::Loopback(e.to_string());
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(loopback)?;
    listener.set_nonblocking(true).map_err(loopback)?;
    let port = listener.local_addr().map_err(loopback)?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}{CALLBACK_PATH}");
    let verifier = random_hex(platform, 32);
    let state = random_hex(platform, 16);
    let mut authorize = endpoint(base, "oauth/authorize/");
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", SCOPES)
        .append_pair("state", &state)
        .append_pair("code_challenge", &crate::crypto::pkce_s256(&verifier))
        .append_pair("code_challenge_method", "S256");
    let _ = writeln!(
        out,
        "{base} has no device sign-in; signing in through the browser instead.\nOpen {authorize} to approve (waiting up to {} minutes)…",
        WAIT.as_secs() / 60
    );
    open_in_browser(&authorize);
    let code = wait_for_code(platform, &listener, &state, Instant::now() + WAIT).await?;
    drop(listener);
    let response = post_form(
        platform,
        endpoint(base, "oauth/token/"),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("client_id", client_id),
            ("code_verifier", &verifier),
        ],
    )
    .await?;
    if response.status != 200 {
        return Err(AuthError::Refused(oauth_error(&response).1));
    }
    token_answer(platform, &response, client_id)
}

/// Hand the link to the system's opener, if there is one; the printed link is enough otherwise.
fn open_in_browser(url: &Url) {
    if std::env::var_os("SENTRY_MCP_NO_BROWSER").is_some_and(|v| !v.is_empty()) {
        return;
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let _ = std::process::Command::new(opener)
        .arg(url.as_str())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

/// What one callback request said.
#[derive(Debug, PartialEq)]
enum Callback {
    Code(String),
    Denied,
    /// Not our callback (another path, a wrong or missing state): answered and ignored.
    Stray,
}

/// Wait (until `deadline`) for the callback with our `state`; answer every request on the way.
async fn wait_for_code(
    platform: &dyn Platform,
    listener: &TcpListener,
    state: &str,
    deadline: Instant,
) -> Result<String, AuthError> {
    loop {
        match listener.accept() {
            Ok((stream, _)) => match answer(stream, state) {
                Callback::Code(code) => return Ok(code),
                Callback::Denied => return Err(AuthError::Denied),
                Callback::Stray => {}
            },
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(AuthError::Loopback(e.to_string())),
        }
        if Instant::now() >= deadline {
            return Err(AuthError::NoApproval);
        }
        platform.sleep(POLL).await;
    }
}

/// Read one request from the browser, classify it and send a short page back.
fn answer(mut stream: TcpStream, state: &str) -> Callback {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 8192 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&head);
    let target = line.lines().next().and_then(|l| l.split(' ').nth(1)).unwrap_or("");
    let callback = classify(target, state);
    let (status, text) = match &callback {
        Callback::Code(_) => {
            ("200 OK", "Signed in to Sentry. You can close this tab and return to the terminal.")
        }
        Callback::Denied => ("200 OK", "The sign-in was denied. You can close this tab."),
        Callback::Stray => {
            ("400 Bad Request", "This is not the sign-in this terminal is waiting for.")
        }
    };
    let page = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(page.as_bytes());
    let _ = stream.flush();
    callback
}

/// The callback's meaning, from its request target (`/callback?code=…&state=…`).
fn classify(target: &str, state: &str) -> Callback {
    let Ok(url) = Url::parse("http://127.0.0.1").and_then(|b| b.join(target)) else {
        return Callback::Stray;
    };
    if url.path() != CALLBACK_PATH {
        return Callback::Stray;
    }
    let param =
        |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    if !param("state").is_some_and(|s| crate::crypto::ct_eq(&s, state)) {
        return Callback::Stray;
    }
    match (param("code").filter(|c| !c.is_empty()), param("error")) {
        (Some(code), None) => Callback::Code(code),
        (_, Some(_)) => Callback::Denied,
        (None, None) => Callback::Stray,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::testing::{block_on, FakePlatform};

    #[test]
    fn only_our_state_on_our_path_counts() {
        let s = "abc123";
        assert_eq!(classify("/callback?code=c1&state=abc123", s), Callback::Code("c1".into()));
        assert_eq!(classify("/callback?error=access_denied&state=abc123", s), Callback::Denied);
        assert_eq!(classify("/callback?code=c1&state=forged", s), Callback::Stray);
        assert_eq!(classify("/callback?code=c1", s), Callback::Stray);
        assert_eq!(classify("/favicon.ico", s), Callback::Stray);
        assert_eq!(classify("/other?code=c1&state=abc123", s), Callback::Stray);
    }

    #[test]
    fn the_listener_ignores_strays_and_takes_the_matching_callback() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let browser = std::thread::spawn(move || {
            let get = |target: &str| {
                let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                write!(s, "GET {target} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n").unwrap();
                let mut page = String::new();
                let _ = s.read_to_string(&mut page);
                page
            };
            (get("/callback?code=evil&state=forged"), get("/callback?code=good&state=s1"))
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        let code = block_on(wait_for_code(&FakePlatform::default(), &listener, "s1", deadline));
        assert_eq!(code.unwrap(), "good");
        let (stray, ok) = browser.join().unwrap();
        assert!(stray.starts_with("HTTP/1.1 400"), "{stray}");
        assert!(ok.starts_with("HTTP/1.1 200") && ok.contains("close this tab"), "{ok}");
    }

    #[test]
    fn the_wait_is_bounded() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + Duration::from_millis(50);
        let waited = block_on(wait_for_code(&FakePlatform::default(), &listener, "s", deadline));
        assert!(matches!(waited, Err(AuthError::NoApproval)));
    }
}
