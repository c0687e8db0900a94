//! The HTML the browser sees: the consent page and readable error pages. Server-rendered with
//! `maud` templates, which escape every interpolated value by default (only the fixed style sheet
//! and doctype are inserted raw); no JavaScript; headers that forbid framing, scripts and caching.

use super::redirect::RedirectTarget;
use maud::{html, Markup, PreEscaped};

use crate::platform::http::HttpResponse;
use crate::session::{Skill, SkillSet};

/// A client-supplied string as a person should read it: maud escapes the markup; control,
/// bidirectional, invisible-format and tag characters are dropped, so a name cannot reorder or
/// hide what the page says (`Claude\u{202E}...` cannot pose as another application).
fn visible(s: &str) -> String {
    s.chars().filter(|c| !crate::render::untrusted::hidden(*c)).collect()
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;background:#f6f5f9;color:#2b2233;margin:0}\
main{max-width:34rem;margin:3rem auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 2px 12px #0002}\
h1{font-size:1.4rem;margin-top:0}.scope{background:#fdf3d8;border-radius:8px;padding:.6rem .9rem}.unverified{font-size:.9rem;color:#6a5a7a}\
fieldset{border:1px solid #ddd;border-radius:8px;margin:1rem 0}label{display:block;margin:.4rem 0}\
small{color:#6b5f75}.uri{word-break:break-all;font-family:monospace;font-size:.85rem}\
.actions{display:flex;gap:1rem;margin-top:1.5rem}button{font-size:1rem;padding:.6rem 1.4rem;border-radius:8px;border:1px solid #6c5fc7;cursor:pointer}\
button.approve{background:#6c5fc7;color:#fff}button.deny{background:#fff;color:#6c5fc7}";

/// An HTML page with the hardening headers. `form_action` lists the CSP `form-action` sources.
fn page(status: u16, title: &str, body: Markup, form_action: &str) -> HttpResponse {
    let doc = html! {
        (PreEscaped("<!DOCTYPE html>\n"))
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (visible(title)) }
                style { (PreEscaped(STYLE)) }
            }
            body { main { (body) } }
        }
        "\n"
    };
    let mut r = HttpResponse::new(status);
    r.headers.set("content-type", "text/html; charset=utf-8");
    r.headers.set(
        "content-security-policy",
        format!("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"),
    );
    r.headers.set("x-frame-options", "DENY");
    // `same-origin`, not `no-referrer`: with `no-referrer` Chromium sends `Origin: null` on the
    // consent form's POST, which would defeat the origin check; nothing leaks cross-site either way.
    r.headers.set("referrer-policy", "same-origin");
    r.headers.set("cache-control", "no-store");
    r.body = doc.into_string().into_bytes();
    r
}

/// A readable error page (never a redirect).
pub(crate) fn error_page(status: u16, title: &str, message: &str) -> HttpResponse {
    let body = html! {
        h1 { (visible(title)) }
        p { (visible(message)) }
        p { small { "Close this window and start the connection again from your MCP client." } }
    };
    page(status, title, body, "'none'")
}

/// What the consent page shows.
pub(crate) struct Consent<'a> {
    pub client_name: Option<&'a str>,
    pub client_id: &'a str,
    /// The redirect URI, parsed: the page shows its normalised form, never the raw string.
    pub redirect: &'a url::Url,
    /// `(organization, project)` when the resource is a constrained `/mcp/...` path.
    pub scope: (Option<&'a str>, Option<&'a str>),
    pub checked: SkillSet,
    pub read_only: bool,
    pub form_state: &'a str,
    /// CSP `form-action` sources: this page, Sentry and the client's redirect target.
    pub form_action: &'a str,
}

pub(crate) fn consent_page(c: &Consent<'_>) -> HttpResponse {
    let name = c.client_name.map(visible).unwrap_or_else(|| "An unnamed MCP client".into());
    let body = html! {
        h1 { "Connect " (name) " to Sentry" }
        p {
            strong { (name) }
            " "
            small { "(client id " span.uri { (visible(c.client_id)) } ")" }
            " is asking to use Sentry on your behalf."
        }
        p.unverified {
            @if c.client_id.starts_with("https://") || c.client_id.starts_with("http://") {
                "This application describes itself in a document at the client id above; only that "
                "address is checked, so its name is not verified. "
                @if super::redirect::is_loopback(c.redirect) {
                    "It returns to a program on this computer, and any program here could claim to be it. "
                }
            } @else {
                "This application registered itself with this server, so its name is not verified. "
            }
            "Continue only if you just started this connection from your MCP client."
        }
        @match c.scope {
            (Some(org), Some(project)) => {
                p.scope {
                    "Session scope: limited to the " strong { (visible(project)) }
                    " project in the " strong { (visible(org)) } " organization."
                }
            }
            (Some(org), None) => {
                p.scope { "Session scope: limited to the " strong { (visible(org)) } " organization." }
            }
            _ => {}
        }
        form method="post" action="/oauth/authorize" {
            input type="hidden" name="tx" value=(c.form_state);
            fieldset {
                legend { "Allow it to" }
                @for skill in Skill::ALL {
                    @let (title, what) = skill.describe();
                    @let tools = crate::tools::catalogue()
                        .iter()
                        .filter(|t| t.spec().skills.contains(&skill))
                        .count();
                    label {
                        input type="checkbox" name="skill" value=(skill.id()) checked[c.checked.contains(skill)];
                        " " strong { (title) } ": " (what) " " small { "(" (tools) " tools)" }
                    }
                }
            }
            label {
                input type="checkbox" name="read_only" value="on" checked[c.read_only];
                " " strong { "Read-only" }
                ": ask Sentry for read access only (tools that change data will be refused by Sentry)"
            }
            p.redirect {
                "Next you sign in to Sentry. After approval you will be sent back to "
                @match RedirectTarget::of(c.redirect) {
                    RedirectTarget::Site { host } => { strong { (visible(&host)) } }
                    RedirectTarget::Loopback => {
                        strong { "a program on this computer" }
                        " (" strong { "http://" } ", not a web site)"
                    }
                    RedirectTarget::App { scheme } => {
                        strong { "an app on this device" }
                        " that opens " strong { (visible(&scheme)) "://" } " links (not a web site)"
                    }
                }
                ":" br;
                span.uri { (visible(c.redirect.as_str())) }
            }
            div.actions {
                button.approve type="submit" name="action" value="approve" { "Approve" }
                button.deny type="submit" name="action" value="deny" { "Deny" }
            }
        }
    };
    page(200, "Connect to Sentry", body, c.form_action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_pages_escape_and_drop_control_characters() {
        let text = error_page(400, "Bad <b>", "x\"&'<script>\u{7}y").body_text();
        assert!(text.contains("<h1>Bad &lt;b&gt;</h1>"), "{text}");
        assert!(text.contains("<p>x&quot;&amp;'&lt;script&gt;y</p>"), "{text}");
        assert!(
            text.starts_with("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        );
        assert!(text.ends_with("</main></body></html>\n"));
    }

    #[test]
    fn client_names_cannot_reorder_or_hide_text_and_are_marked_unverified() {
        let r = consent_page(&Consent {
            client_name: Some("Claude\u{202E}edualC\u{2066}\u{200B}\u{E0041}\u{00AD}"),
            client_id: "abc\u{202E}",
            redirect: &url::Url::parse("https://claude.ai/api/mcp/auth_callback").unwrap(),
            scope: (None, None),
            checked: SkillSet::all(),
            read_only: false,
            form_state: "s.t",
            form_action: "'self'",
        });
        let text = r.body_text();
        assert!(text.contains("Connect ClaudeedualC to Sentry"), "{text}");
        for hidden in ['\u{202E}', '\u{2066}', '\u{200B}', '\u{E0041}', '\u{00AD}'] {
            assert!(!text.contains(hidden), "{hidden:?} reached the page");
        }
        assert!(text.contains("its name is not verified"));
        assert!(!text.contains("any program here"));
    }

    #[test]
    fn metadata_document_clients_say_where_they_describe_themselves() {
        let page = |redirect: &str| {
            consent_page(&Consent {
                client_name: Some("Claude Code"),
                client_id: "https://claude.ai/oauth/claude-code-client-metadata",
                redirect: &super::super::redirect::validate_redirect_uri(redirect).unwrap(),
                scope: (None, None),
                checked: SkillSet::all(),
                read_only: false,
                form_state: "s.t",
                form_action: "'self'",
            })
            .body_text()
        };
        let local = page("http://localhost:53682/callback");
        assert!(
            local.contains("describes itself in a document") && local.contains("any program here")
        );
        assert!(!page("https://claude.ai/api/mcp/auth_callback").contains("any program here"));
    }

    fn consent_for(redirect: &str) -> String {
        consent_page(&Consent {
            client_name: Some("Client"),
            client_id: "abc",
            redirect: &super::super::redirect::validate_redirect_uri(redirect).unwrap(),
            scope: (None, None),
            checked: SkillSet::all(),
            read_only: false,
            form_state: "s.t",
            form_action: "'self'",
        })
        .body_text()
    }

    #[test]
    fn a_non_https_redirect_shows_its_scheme_and_what_receives_it() {
        let app = consent_for("cursor://anysphere.cursor-mcp/oauth/callback");
        assert!(app.contains("<strong>an app on this device</strong> that opens <strong>cursor://</strong> links"), "{app}");
        assert!(app.contains("cursor://anysphere.cursor-mcp/oauth/callback"));
        let local = consent_for("http://127.0.0.1:33418/cb");
        assert!(
            local.contains("<strong>a program on this computer</strong> (<strong>http://</strong>"),
            "{local}"
        );
        let site = consent_for("https://claude.ai/api/mcp/auth_callback");
        assert!(site.contains("sent back to <strong>claude.ai</strong>:"), "{site}");
        assert!(!site.contains("on this device"));
    }

    #[test]
    fn the_page_shows_the_normalised_redirect_not_the_raw_string() {
        // An internationalised look-alike host is shown in its punycode form, dot segments
        // resolved, the default port dropped.
        let text = consent_for("https://cl\u{0430}ude.ai:443/a/../api/mcp/auth_callback");
        let shown = text.split("class=\"uri\">").nth(2).unwrap_or_default();
        assert!(
            shown.starts_with("https://xn--") && shown.contains(".ai/api/mcp/auth_callback<"),
            "{text}"
        );
        assert!(!text.contains('\u{0430}') && !text.contains("/../") && !text.contains(":443"));
    }

    #[test]
    fn consent_page_is_hardened_and_escaped() {
        let r = consent_page(&Consent {
            client_name: Some("<img src=x onerror=alert(1)>"),
            client_id: "abc",
            redirect: &url::Url::parse("https://claude.ai/api/mcp/auth_callback").unwrap(),
            scope: (Some("acme"), Some("web")),
            checked: SkillSet::none().with(Skill::Inspect),
            read_only: true,
            form_state: "s.t",
            form_action: "'self' https://sentry.io https://claude.ai",
        });
        let text = r.body_text();
        assert!(!text.contains("<img") && text.contains("&lt;img"));
        assert!(text.contains("Session scope") && text.contains("<strong>web</strong> project"));
        assert!(
            text.contains("value=\"inspect\" checked")
                && !text.contains("value=\"triage\" checked")
        );
        assert!(!text.contains("<script"));
        let csp = r.headers.get("content-security-policy").unwrap();
        assert!(
            csp.contains("default-src 'none'")
                && csp.contains("frame-ancestors 'none'")
                && csp.contains("form-action 'self'")
        );
        assert_eq!(r.headers.get("x-frame-options"), Some("DENY"));
    }
}
