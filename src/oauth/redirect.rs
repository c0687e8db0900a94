//! Redirect URIs (registration and authorization) and resource indicators (RFC 8707).
//!
//! Redirect URIs: exact string match, except loopback `http` URIs (`127.0.0.1`, `[::1]`,
//! `localhost`) whose port may differ (RFC 8252 §7.3). A private-use scheme (an app on the
//! user's device) is accepted only in reverse-DNS form (`com.example.app:/cb`, RFC 8252 §7.1), or
//! as one of the few single-word schemes real MCP clients register ([`KNOWN_APP_SCHEMES`]): an
//! allowlist, not a denylist of dangerous schemes. Userinfo, fragments, whitespace and control
//! characters are refused, and plain `http` only for loopback hosts.

use url::{Host, Url};

use super::records::{Audience, RedirectUri};
use crate::session::Constraints;

const DANGEROUS_SCHEMES: [&str; 6] = ["javascript", "data", "vbscript", "file", "blob", "about"];
/// Single-word private-use schemes of MCP clients people use (Cursor, VS Code), which predate
/// the reverse-DNS rule; any other private-use scheme must be reverse-DNS.
pub(crate) const KNOWN_APP_SCHEMES: [&str; 3] = ["cursor", "vscode", "vscode-insiders"];
const MAX_URI_LEN: usize = 2_048;

/// Check a redirect URI a client wants to register or use; `Err` explains why it is refused.
pub(crate) fn validate_redirect_uri(raw: &str) -> Result<Url, String> {
    if raw.is_empty() || raw.len() > MAX_URI_LEN {
        return Err("a redirect URI must be 1 to 2048 characters".into());
    }
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("redirect URIs must not contain whitespace or control characters".into());
    }
    // The scheme check runs on a normalised copy too, so `JaVaScRiPt:` cannot slip through.
    let scheme = raw.split(':').next().unwrap_or("").to_ascii_lowercase();
    if DANGEROUS_SCHEMES.contains(&scheme.as_str()) {
        return Err(format!("the '{scheme}:' scheme is not allowed for redirect URIs"));
    }
    let url = Url::parse(raw).map_err(|_| "a redirect URI must be an absolute URI".to_string())?;
    if DANGEROUS_SCHEMES.contains(&url.scheme()) {
        return Err(format!("the '{}:' scheme is not allowed for redirect URIs", url.scheme()));
    }
    if raw.contains('#') {
        return Err("redirect URIs must not contain a fragment".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("redirect URIs must not contain user information".into());
    }
    match url.scheme() {
        "https" if url.host_str().is_some_and(|h| !h.is_empty()) => {}
        "https" => return Err("https redirect URIs need a host".into()),
        "http" if is_loopback(&url) => {}
        "http" => return Err("plain http redirect URIs are only allowed for loopback hosts (127.0.0.1, [::1], localhost)".into()),
        other if is_reverse_dns(other) || KNOWN_APP_SCHEMES.contains(&other) => {}
        other => return Err(format!("the '{other}:' scheme is not allowed: an app's private-use scheme must be in reverse-DNS form, such as 'com.example.app:/callback' (RFC 8252 section 7.1)")),
    }
    Ok(url)
}

/// A scheme made of two or more domain labels (`com.example.app`): a private-use scheme based on
/// a domain its app controls (RFC 8252 §7.1).
fn is_reverse_dns(scheme: &str) -> bool {
    let labels: Vec<&str> = scheme.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Where the consent page says the user will be sent after approval: a web site (https), a
/// program on this computer (loopback http), or an app on this device (a private-use scheme).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RedirectTarget {
    Site { host: String },
    Loopback,
    App { scheme: String },
}

impl RedirectTarget {
    /// The target of an accepted redirect URI.
    pub(crate) fn of(url: &Url) -> Self {
        match url.scheme() {
            "https" => {
                RedirectTarget::Site { host: url.host_str().unwrap_or_default().to_string() }
            }
            "http" => RedirectTarget::Loopback,
            other => RedirectTarget::App { scheme: other.to_string() },
        }
    }
}

/// `http` to a loopback host.
pub(crate) fn is_loopback(url: &Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        }
}

/// Whether `requested` is one of the client's `registered` redirect URIs.
pub(crate) fn redirect_allowed(registered: &[RedirectUri], requested: &str) -> bool {
    let Ok(req) = Url::parse(requested) else { return false };
    registered.iter().any(|r| {
        if r.as_str() == requested {
            return true;
        }
        match Url::parse(r.as_str()) {
            Ok(reg) if is_loopback(&reg) && is_loopback(&req) => {
                reg.host() == req.host() && reg.path() == req.path() && reg.query() == req.query()
            }
            _ => false,
        }
    })
}

/// The CSP `form-action` source that allows navigating to `uri` (the consent form's redirect
/// chain may end there when Sentry approves without showing a page).
pub(crate) fn csp_source(uri: &Url) -> String {
    match uri.scheme() {
        "http" | "https" if is_loopback(uri) => {
            format!("http://{}:*", uri.host_str().unwrap_or("127.0.0.1"))
        }
        "http" | "https" => uri.origin().ascii_serialization(),
        other => format!("{other}:"),
    }
}

/// `uri` with `params` appended to its query.
pub(crate) fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let Ok(mut url) = Url::parse(uri) else { return uri.to_string() };
    {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in params {
            pairs.append_pair(k, v);
        }
    }
    url.to_string()
}

/// The audience a token is for, from the RFC 8707 `resource` parameter: this server's `/mcp` or a
/// constrained path below it. Omitted means the canonical `/mcp`. `Err` explains the refusal
/// (`invalid_target`).
pub(crate) fn audience_from_resource(
    resource: Option<&str>,
    origin: &str,
) -> Result<Audience, String> {
    let Some(raw) = resource.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(Audience(format!("{origin}/mcp")));
    };
    let bad = |why: &str| Err(format!("resource '{}' {why}", crate::render::truncate(raw, 120)));
    let Ok(url) = Url::parse(raw) else { return bad("is not an absolute URI") };
    if raw.contains('#')
        || url.query().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return bad("must not have a query, fragment or user information");
    }
    if url.origin().ascii_serialization() != origin {
        return bad(&format!("does not name this server; use {origin}/mcp"));
    }
    let path = url.path().trim_end_matches('/');
    if raw.contains('%') {
        return bad(&format!("is not an MCP endpoint of this server; use {origin}/mcp"));
    }
    let c = match Constraints::from_mcp_path(path) {
        Ok(c) => c,
        Err(crate::session::EndpointPathError::NotMcp) => {
            return bad(&format!("is not an MCP endpoint of this server; use {origin}/mcp"))
        }
        Err(_) => return bad("is not a valid /mcp/{organization}/{project} path"),
    };
    let mut audience = format!("{origin}/mcp");
    for part in [c.organization, c.project].into_iter().flatten() {
        audience.push('/');
        audience.push_str(&part);
    }
    Ok(Audience(audience))
}

/// Whether a token for `audience` may be used at `url`: same origin, and the path equals the
/// audience path or lies below it at a `/` boundary (`/mcp/acme` covers `/mcp/acme/web`, not
/// `/mcp/acme-other` or `/mcp`).
pub(crate) fn audience_covers(audience: &Audience, url: &Url) -> bool {
    let Ok(aud) = Url::parse(audience.as_str()) else { return false };
    if aud.origin() != url.origin() {
        return false;
    }
    let want = aud.path().trim_end_matches('/');
    let path = url.path().trim_end_matches('/');
    path == want || path.strip_prefix(want).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_client_redirect_sets_are_accepted() {
        for uri in [
            "cursor://anysphere.cursor-mcp/oauth/callback",
            "https://www.cursor.com/agents/mcp/oauth/callback",
            "http://localhost:8787/callback",
            "https://insiders.vscode.dev/redirect",
            "https://vscode.dev/redirect",
            "http://127.0.0.1/",
            "http://127.0.0.1:33418/",
            "https://claude.ai/api/mcp/auth_callback",
            "https://claude.com/api/mcp/auth_callback",
            "https://chatgpt.com/connector_platform_oauth_redirect",
            "http://[::1]:9000/cb",
            "vscode://vscode.vscode-mcp/callback",
            "com.example.app:/oauth2redirect",
            "io.github.someone.mcp-client://callback",
        ] {
            assert!(validate_redirect_uri(uri).is_ok(), "{uri}");
        }
    }

    #[test]
    fn private_use_schemes_must_be_reverse_dns() {
        for uri in [
            "myapp://callback",
            "ms-settings:privacy",
            "intent://x#Intent;end",
            "mailto:a@example.com",
            "ftp://files.example.com/cb",
            "ws://127.0.0.1/cb",
            "com..example:/cb",
            "com.-example:/cb",
        ] {
            assert!(validate_redirect_uri(uri).is_err(), "{uri}");
        }
        assert!(validate_redirect_uri("myapp://callback").unwrap_err().contains("reverse-DNS"));
    }

    #[test]
    fn redirect_targets_say_what_receives_the_code() {
        let t = |s: &str| RedirectTarget::of(&validate_redirect_uri(s).unwrap());
        assert_eq!(t("https://claude.ai/cb"), RedirectTarget::Site { host: "claude.ai".into() });
        assert_eq!(t("http://127.0.0.1:4000/cb"), RedirectTarget::Loopback);
        assert_eq!(
            t("cursor://anysphere.cursor-mcp/oauth/callback"),
            RedirectTarget::App { scheme: "cursor".into() }
        );
    }

    #[test]
    fn dangerous_redirects_are_refused() {
        for uri in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\u{0}script:alert(1)",
            "data:text/html,hi",
            "vbscript:msgbox",
            "file:///etc/passwd",
            "blob:https://x/y",
            "https://user@evil.example/cb",
            "https://good.example/cb#frag",
            "http://evil.example/cb",
            "relative/path",
            "",
        ] {
            assert!(validate_redirect_uri(uri).is_err(), "{uri:?}");
        }
    }

    #[test]
    fn exact_match_except_loopback_ports() {
        let reg: Vec<RedirectUri> = vec![
            "https://claude.ai/api/mcp/auth_callback".into(),
            "http://127.0.0.1/".into(),
            "http://localhost:8787/callback".into(),
        ];
        assert!(redirect_allowed(&reg, "https://claude.ai/api/mcp/auth_callback"));
        assert!(!redirect_allowed(&reg, "https://claude.ai/api/mcp/auth_callback/"));
        assert!(!redirect_allowed(&reg, "https://claude.ai/api/mcp/auth_callback?x=1"));
        assert!(redirect_allowed(&reg, "http://127.0.0.1:54321/"));
        assert!(!redirect_allowed(&reg, "http://127.0.0.1:54321/other"));
        assert!(redirect_allowed(&reg, "http://localhost:40000/callback"));
        assert!(
            !redirect_allowed(&reg, "http://127.0.0.1:40000/callback"),
            "the host must match too"
        );
    }

    #[test]
    fn resources_name_this_server_only() {
        let o = "https://mcp.example.com";
        assert_eq!(audience_from_resource(None, o).unwrap(), "https://mcp.example.com/mcp");
        assert_eq!(
            audience_from_resource(Some("https://mcp.example.com/mcp/"), o).unwrap(),
            "https://mcp.example.com/mcp"
        );
        assert_eq!(
            audience_from_resource(Some("https://mcp.example.com/mcp/acme/web"), o).unwrap(),
            "https://mcp.example.com/mcp/acme/web"
        );
        for bad in [
            "https://other.example/mcp",
            "https://mcp.example.com/",
            "https://mcp.example.com/mcp?x=1",
            "https://mcp.example.com/mcp#f",
            "https://mcp.example.com/mcp/a/b/c",
            "https://mcp.example.com/mcp/%2e%2e",
            "mcp",
        ] {
            assert!(audience_from_resource(Some(bad), o).is_err(), "{bad}");
        }
    }

    #[test]
    fn audience_is_a_path_boundary_prefix() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(audience_covers(&Audience::from("https://h/mcp"), &u("https://h/mcp")));
        assert!(audience_covers(&Audience::from("https://h/mcp"), &u("https://h/mcp/acme")));
        assert!(audience_covers(
            &Audience::from("https://h/mcp/acme"),
            &u("https://h/mcp/acme/web")
        ));
        assert!(!audience_covers(&Audience::from("https://h/mcp/acme"), &u("https://h/mcp")));
        assert!(!audience_covers(&Audience::from("https://h/mcp/acme"), &u("https://h/mcp/other")));
        assert!(!audience_covers(
            &Audience::from("https://h/mcp/acme"),
            &u("https://h/mcp/acme-other")
        ));
        assert!(!audience_covers(&Audience::from("https://h/mcp"), &u("https://evil/mcp")));
    }

    #[test]
    fn query_is_appended() {
        assert_eq!(
            with_query("https://c.example/cb?x=1", &[("code", "a b")]),
            "https://c.example/cb?x=1&code=a+b"
        );
        assert_eq!(
            with_query("cursor://anysphere.cursor-mcp/oauth/callback", &[("code", "c")]),
            "cursor://anysphere.cursor-mcp/oauth/callback?code=c"
        );
    }
}
