//! `sentry-mcp auth login|status|logout`: sign in to Sentry without copying a token around.
//!
//! `login` runs Sentry's OAuth device authorization flow (RFC 8628): it asks Sentry for a code,
//! tells the user where to enter it, and polls the token endpoint (honouring `interval` and
//! `slow_down`) until the user approves, denies, or the code expires. The token is stored in a
//! credentials file, one entry per Sentry URL, that only the user can read (directory 0700, file
//! 0600, written atomically); the server uses it when no token is given. No command prints the
//! token, and text from Sentry that reaches the terminal is stripped of control characters.
//!
//! Both flows need a public OAuth client of the Sentry instance (`--client-id`, or
//! `SENTRY_CLIENT_ID`): Sentry > Settings > API > Applications. An instance without the device
//! endpoint (404/405) is signed in to through the browser instead ([`browser`]: authorization
//! code with PKCE and a loopback redirect); the token is stored the same way.

mod browser;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::config::Config;
use crate::platform::http::{HttpRequest, HttpResponse};
use crate::platform::Platform;
use crate::redact;

/// The scopes a login asks for: what the tools need, as the official server asks.
pub(crate) const SCOPES: &str = "org:read project:write team:write event:write";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 §3.5: `slow_down` adds five seconds to the polling interval.
const SLOW_DOWN_STEP: u64 = 5;
/// Each call to Sentry during login.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a login, status or logout could not be done; each says what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AuthError {
    #[error("no OAuth client to sign in with: pass --client-id=<id> or set SENTRY_CLIENT_ID (a public OAuth application of your Sentry, under Settings > API > Applications), or create a personal token under Settings > Personal Tokens and set SENTRY_ACCESS_TOKEN")]
    NoClientId,
    #[error("could not listen on 127.0.0.1 for the browser's answer ({0}); create a personal token under Settings > Personal Tokens and set SENTRY_ACCESS_TOKEN instead")]
    Loopback(String),
    #[error("no approval arrived from the browser in time; run `sentry-mcp auth login` again")]
    NoApproval,
    #[error("Sentry refused the sign-in request: {0}")]
    Refused(String),
    #[error("the sign-in was denied in the browser; run `sentry-mcp auth login` again to retry")]
    Denied,
    #[error("the code expired before it was entered; run `sentry-mcp auth login` again")]
    Expired,
    #[error("could not reach Sentry: {0}")]
    Unreachable(String),
    #[error("the credentials file {path}: {problem}")]
    Store { path: String, problem: String },
}

/// One stored sign-in. The token never leaves this file except as the upstream credential.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Login {
    token: String,
    /// Who signed in, as Sentry named them (for `auth status`).
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    scope: String,
    /// When the token expires, epoch milliseconds.
    #[serde(default)]
    expires_at_ms: Option<u64>,
    #[serde(default)]
    client_id: String,
}

/// The credentials file: sign-ins by Sentry URL.
pub(crate) struct CredentialStore {
    path: PathBuf,
}

impl CredentialStore {
    /// `SENTRY_MCP_CREDENTIALS`, else `$XDG_CONFIG_HOME/sentry-mcp/credentials.json`, else
    /// `$HOME/.config/sentry-mcp/credentials.json`.
    pub(crate) fn locate(env: impl Fn(&str) -> Option<String>) -> Result<Self, AuthError> {
        let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let path = match (set("SENTRY_MCP_CREDENTIALS"), set("XDG_CONFIG_HOME"), set("HOME")) {
            (Some(p), _, _) => PathBuf::from(p),
            (None, Some(dir), _) => Path::new(&dir).join("sentry-mcp").join("credentials.json"),
            (None, None, Some(home)) => {
                Path::new(&home).join(".config").join("sentry-mcp").join("credentials.json")
            }
            (None, None, None) => {
                return Err(AuthError::Store {
                    path: "(none)".into(),
                    problem: "no HOME to keep it in; set SENTRY_MCP_CREDENTIALS to a file path"
                        .into(),
                })
            }
        };
        Ok(Self { path })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn problem(&self, problem: impl Into<String>) -> AuthError {
        AuthError::Store { path: self.path.display().to_string(), problem: problem.into() }
    }

    fn read(&self) -> Result<BTreeMap<String, Login>, AuthError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(self.problem(format!("cannot be read ({e})"))),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&self.path).map(|m| m.permissions().mode()).unwrap_or(0);
            if mode & 0o077 != 0 {
                return Err(self.problem(format!(
                    "others can read it (mode {:o}); run `chmod 600` on it, or `sentry-mcp auth logout` and sign in again",
                    mode & 0o777
                )));
            }
        }
        serde_json::from_str(&text).map_err(|_| {
            self.problem("is not a credentials file; delete it and run `sentry-mcp auth login`")
        })
    }

    /// Write all sign-ins: a new file only the user can read, renamed over the old one.
    fn write(&self, logins: &BTreeMap<String, Login>) -> Result<(), AuthError> {
        let io = |e: std::io::Error| self.problem(format!("cannot be written ({e})"));
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(io)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let _ = fs::remove_file(&tmp);
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io)?;
        let json = serde_json::to_vec_pretty(logins).expect("serialisable");
        file.write_all(&json).and_then(|()| file.sync_all()).map_err(io)?;
        fs::rename(&tmp, &self.path).map_err(io)
    }

    /// The stored token for `base`, if any; an expired one is an error that says to sign in again.
    pub(crate) fn token_for(&self, base: &Url, now_ms: u64) -> Result<Option<String>, AuthError> {
        let Some(login) = self.read()?.remove(base.as_str()) else { return Ok(None) };
        if login.expires_at_ms.is_some_and(|at| at <= now_ms) {
            return Err(self.problem(format!(
                "the sign-in to {base} has expired; run `sentry-mcp auth login` again"
            )));
        }
        Ok(Some(login.token))
    }
}

/// What Sentry's device authorization endpoint answers (RFC 8628 §3.2).
#[derive(Debug, Deserialize)]
struct DeviceCode {
    device_code: String,
    user_code: String,
    verification_uri: String,
    #[serde(default)]
    verification_uri_complete: Option<String>,
    #[serde(default)]
    interval: Option<u64>,
    expires_in: u64,
}

/// Text from Sentry shown in the terminal, without control characters (no escape sequences).
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(500).collect()
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish().into_bytes()
}

async fn post_form(
    platform: &dyn Platform,
    url: Url,
    pairs: &[(&str, &str)],
) -> Result<HttpResponse, AuthError> {
    let mut request =
        HttpRequest { method: "POST".into(), url, headers: Default::default(), body: form(pairs) };
    request.headers.set("content-type", "application/x-www-form-urlencoded");
    request.headers.set("accept", "application/json");
    platform.fetch(request, CALL_TIMEOUT).await.map_err(|e| AuthError::Unreachable(e.to_string()))
}

/// The `error` (and description) of an OAuth error answer, scrubbed for display.
fn oauth_error(response: &HttpResponse) -> (String, String) {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let code = body.get("error").and_then(Value::as_str).unwrap_or("").to_string();
    let description = body
        .get("error_description")
        .and_then(Value::as_str)
        .map(|d| format!("{code}: {d}"))
        .unwrap_or_else(|| {
            if code.is_empty() {
                format!("HTTP {}", response.status)
            } else {
                code.clone()
            }
        });
    (code, printable(&redact::scrub(&description, None)))
}

/// An endpoint below the Sentry URL, keeping a self-hosted path prefix (`https://host/sentry`).
fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_path(&format!("{}/{path}", base.path().trim_end_matches('/')));
    url
}

/// Sign in to `config`'s Sentry with the device flow (or, without one, through the browser),
/// telling the user what to do on `out`.
pub(crate) async fn login(
    platform: &dyn Platform,
    config: &Config,
    client_id: &str,
    out: &mut dyn Write,
) -> Result<Login, AuthError> {
    let base = &config.sentry.base;
    let response = post_form(
        platform,
        endpoint(base, "oauth/device/code/"),
        &[("client_id", client_id), ("scope", SCOPES)],
    )
    .await?;
    if matches!(response.status, 404 | 405) {
        return browser::login(platform, config, client_id, out).await;
    }
    if response.status != 200 {
        return Err(AuthError::Refused(oauth_error(&response).1));
    }
    let code: DeviceCode = serde_json::from_slice(&response.body).map_err(|_| {
        AuthError::Refused("the device code answer is not what RFC 8628 describes".into())
    })?;
    let link = code.verification_uri_complete.as_deref().unwrap_or(&code.verification_uri);
    let _ = writeln!(
        out,
        "To sign in to {base}, open {} and enter the code {} (it expires in {} minutes).\nWaiting for you to approve…",
        printable(link),
        printable(&code.user_code),
        code.expires_in.div_ceil(60)
    );
    let mut interval = code.interval.unwrap_or(5).max(1);
    let deadline = platform.now_ms() + code.expires_in * 1000;
    loop {
        platform.sleep(Duration::from_secs(interval)).await;
        if platform.now_ms() > deadline {
            return Err(AuthError::Expired);
        }
        let response = post_form(
            platform,
            endpoint(base, "oauth/token/"),
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", &code.device_code),
                ("client_id", client_id),
            ],
        )
        .await?;
        if response.status == 200 {
            return token_answer(platform, &response, client_id);
        }
        match oauth_error(&response) {
            (code, _) if code == "authorization_pending" => {}
            (code, _) if code == "slow_down" => interval += SLOW_DOWN_STEP,
            (code, _) if code == "access_denied" => return Err(AuthError::Denied),
            (code, _) if code == "expired_token" => return Err(AuthError::Expired),
            (_, description) => return Err(AuthError::Refused(description)),
        }
    }
}

/// The stored form of Sentry's token answer.
fn token_answer(
    platform: &dyn Platform,
    response: &HttpResponse,
    client_id: &str,
) -> Result<Login, AuthError> {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let Some(token) = body.get("access_token").and_then(Value::as_str).filter(|t| !t.is_empty())
    else {
        return Err(AuthError::Refused("the token answer has no access_token".into()));
    };
    let user = body.get("user").and_then(|u| {
        let name = u.get("name").and_then(Value::as_str).filter(|n| !n.is_empty());
        let email = u.get("email").and_then(Value::as_str).filter(|e| !e.is_empty());
        match (name, email) {
            (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
            (n, e) => n.or(e).map(str::to_string),
        }
    });
    let expires_at_ms =
        body.get("expires_in").and_then(Value::as_u64).map(|secs| platform.now_ms() + secs * 1000);
    Ok(Login {
        token: token.to_string(),
        user: user.map(|u| printable(&u)),
        scope: printable(body.get("scope").and_then(Value::as_str).unwrap_or("")),
        expires_at_ms,
        client_id: client_id.to_string(),
    })
}

/// `auth login`: sign in and store the token for this Sentry.
pub(crate) async fn run_login(
    platform: &dyn Platform,
    config: &Config,
    client_id: Option<String>,
    store: &CredentialStore,
    out: &mut dyn Write,
) -> Result<(), AuthError> {
    let client_id = client_id.filter(|c| !c.trim().is_empty()).ok_or(AuthError::NoClientId)?;
    // Refuse a file we could not write back before sending the user to the browser.
    let mut logins = store.read()?;
    let login = login(platform, config, client_id.trim(), out).await?;
    let who = login.user.clone().unwrap_or_else(|| "your Sentry user".into());
    let scope = login.scope.clone();
    logins.insert(config.sentry.base.to_string(), login);
    store.write(&logins)?;
    let _ = writeln!(
        out,
        "Signed in to {} as {who} (scopes: {scope}). The token is in {}, readable only by you; sentry-mcp uses it when no token is given.",
        config.sentry.base,
        store.path().display()
    );
    Ok(())
}

/// `auth status`: who is signed in to this Sentry (never the token). `Ok(false)`: nobody.
pub(crate) fn run_status(
    config: &Config,
    store: &CredentialStore,
    now_ms: u64,
    out: &mut dyn Write,
) -> Result<bool, AuthError> {
    let base = &config.sentry.base;
    let Some(login) = store.read()?.remove(base.as_str()) else {
        let _ = writeln!(out, "Not signed in to {base}. Run `sentry-mcp auth login` to sign in.");
        return Ok(false);
    };
    let who = login.user.as_deref().unwrap_or("an unnamed user");
    let expiry = match login.expires_at_ms {
        Some(at) if at <= now_ms => {
            let _ = writeln!(
                out,
                "The sign-in to {base} as {who} has expired. Run `sentry-mcp auth login` again."
            );
            return Ok(false);
        }
        Some(at) => format!("for {} more days", (at - now_ms).div_ceil(86_400_000)),
        None => "with no expiry".into(),
    };
    let _ = writeln!(
        out,
        "Signed in to {base} as {who}, {expiry}; scopes: {}. Stored in {}.",
        login.scope,
        store.path().display()
    );
    Ok(true)
}

/// `auth logout`: forget this Sentry's token. `Ok(false)`: there was none.
pub(crate) fn run_logout(
    config: &Config,
    store: &CredentialStore,
    out: &mut dyn Write,
) -> Result<bool, AuthError> {
    let base = &config.sentry.base;
    let mut logins = store.read()?;
    if logins.remove(base.as_str()).is_none() {
        let _ = writeln!(out, "Not signed in to {base}; nothing to remove.");
        return Ok(false);
    }
    store.write(&logins)?;
    let _ = writeln!(
        out,
        "Signed out of {base}: the stored token is deleted. To revoke it as well, remove the application under Settings > Account > Authorized Applications in Sentry."
    );
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::testing::{block_on, FakePlatform};

    fn config(url: &str) -> Config {
        let url = url.to_string();
        Config::from_vars(|name| (name == "SENTRY_URL").then(|| url.clone())).unwrap()
    }

    fn temp_store(name: &str) -> CredentialStore {
        let dir =
            std::env::temp_dir().join(format!("sentry-mcp-auth-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        CredentialStore { path: dir.join("nested").join("credentials.json") }
    }

    fn device_code(platform: &FakePlatform) {
        platform.answer_json(
            200,
            serde_json::json!({"device_code": "dev-1", "user_code": "ABCD-EFGH", "verification_uri": "https://sentry.example.com/oauth/device/\u{1b}[2J",
                "interval": 5, "expires_in": 600}),
        );
    }

    #[test]
    fn login_polls_until_approved_and_stores_the_token_owner_only() {
        let platform = FakePlatform::default();
        device_code(&platform);
        platform.answer_json(400, serde_json::json!({"error": "authorization_pending"}));
        platform.answer_json(400, serde_json::json!({"error": "slow_down"}));
        platform.answer_json(200, serde_json::json!({"access_token": "sntryu_device_secret", "token_type": "bearer",
            "expires_in": 2_592_000, "scope": "org:read project:write", "user": {"id": "1", "name": "Jane", "email": "jane@example.com"}}));
        let store = temp_store("login");
        let mut out = Vec::new();
        let cfg = config("https://sentry.example.com");
        block_on(run_login(&platform, &cfg, Some("public-client".into()), &store, &mut out))
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("ABCD-EFGH") && text.contains("Jane <jane@example.com>"), "{text}");
        assert!(!text.contains("sntryu_device_secret") && !text.contains('\u{1b}'), "{text}");
        // 5 s, 5 s, then 10 s after slow_down.
        assert_eq!(platform.slept_ms.get(), 20_000);
        let requests = platform.requests.borrow();
        assert_eq!(requests[0].url.as_str(), "https://sentry.example.com/oauth/device/code/");
        let poll = String::from_utf8(requests[1].body.clone()).unwrap();
        assert!(
            poll.contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code")
                && poll.contains("device_code=dev-1"),
            "{poll}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir = fs::metadata(store.path().parent().unwrap()).unwrap().permissions().mode();
            assert_eq!(dir & 0o777, 0o700);
        }
        let base = &cfg.sentry.base;
        let now = platform.now_ms();
        assert_eq!(store.token_for(base, now).unwrap().as_deref(), Some("sntryu_device_secret"));
        assert!(store
            .token_for(base, now + 2_592_000_000)
            .unwrap_err()
            .to_string()
            .contains("auth login"));
        assert_eq!(
            store.token_for(&config("https://other.example.com").sentry.base, now).unwrap(),
            None
        );

        let mut out = Vec::new();
        assert!(run_status(&cfg, &store, now, &mut out).unwrap());
        let status = String::from_utf8(out).unwrap();
        assert!(status.contains("Jane") && !status.contains("sntryu_device_secret"), "{status}");
        let mut out = Vec::new();
        assert!(run_logout(&cfg, &store, &mut out).unwrap());
        assert_eq!(store.token_for(base, now).unwrap(), None);
        assert!(!run_status(&cfg, &store, now, &mut Vec::new()).unwrap());
        let _ = fs::remove_dir_all(store.path().parent().unwrap().parent().unwrap());
    }

    #[test]
    fn endpoints_keep_a_self_hosted_prefix() {
        let prefixed = config("https://sentry.internal/prefix").sentry.base;
        assert_eq!(
            endpoint(&prefixed, "oauth/token/").as_str(),
            "https://sentry.internal/prefix/oauth/token/"
        );
        let root = config("https://sentry.io").sentry.base;
        assert_eq!(
            endpoint(&root, "oauth/device/code/").as_str(),
            "https://sentry.io/oauth/device/code/"
        );
    }

    #[test]
    fn refusals_say_what_to_do() {
        let cfg = config("https://sentry.example.com");
        let store = temp_store("refusals");
        let run = |platform: &FakePlatform| {
            block_on(run_login(platform, &cfg, Some("c".into()), &store, &mut Vec::new()))
                .unwrap_err()
        };
        let none =
            block_on(run_login(&FakePlatform::default(), &cfg, None, &store, &mut Vec::new()));
        assert!(matches!(none, Err(AuthError::NoClientId)));
        for (error, expected) in [("access_denied", "denied"), ("expired_token", "expired")] {
            let p = FakePlatform::default();
            device_code(&p);
            p.answer_json(400, serde_json::json!({"error": error}));
            assert!(run(&p).to_string().contains(expected), "{error}");
        }
        let p = FakePlatform::default();
        p.answer_json(400, serde_json::json!({"error": "invalid_client", "error_description": "Unknown client sntryu_leak"}));
        let refused = run(&p).to_string();
        assert!(
            refused.contains("invalid_client") && !refused.contains("sntryu_leak"),
            "{refused}"
        );
        assert!(!store.path().exists(), "nothing stored after a failed login");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let store = temp_store("mode");
        store.write(&BTreeMap::new()).unwrap();
        fs::set_permissions(store.path(), fs::Permissions::from_mode(0o644)).unwrap();
        let err =
            store.token_for(&config("https://sentry.io").sentry.base, 0).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        let _ = fs::remove_dir_all(store.path().parent().unwrap().parent().unwrap());
    }
}
