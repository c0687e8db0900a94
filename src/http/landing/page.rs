//! The landing page's HTML: what the server is and does, how access works, the connection
//! builder with each client's setup, and the security notes.
//!
//! Server-rendered with `maud` (already used by the consent page, so it costs no new dependency;
//! every interpolated value is escaped). The page is complete without JavaScript: the builder is
//! a GET form that re-renders the page for the chosen values. A small inline script (allowed by
//! its hash in the CSP, like the inline style sheet) adds copy buttons and refreshes the URL and
//! snippets as the visitor types, by fetching this same page, so the snippets are generated in
//! one place only.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::clients::{setups, Block};
use super::connection::{Access, Connection};
use super::describe::{tools, TAGLINE};
use crate::session::Skill;

/// The page's style sheet (inline; allowed by its hash).
pub(crate) const STYLE: &str = include_str!("landing.css");
/// The page's script (inline; allowed by its hash).
pub(crate) const SCRIPT: &str = include_str!("landing.js");

/// The whole page for one set of builder choices.
pub(crate) fn render(c: &Connection) -> String {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                meta name="description" content=(TAGLINE);
                title { "Sentry MCP: connect your AI agent to Sentry" }
                link rel="icon" type="image/svg+xml" href="/favicon.svg";
                link rel="alternate" type="text/markdown" href="/llms.txt";
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "Sentry MCP" }
                    p.tagline { (TAGLINE) }
                    p.version { "Version " (crate::SERVER_VERSION) " · Streamable HTTP at " code { (c.origin) "/mcp" } }
                }
                main {
                    (what_it_does())
                    (access())
                    (builder(c))
                    (result(c))
                    (clients(c))
                    (security())
                }
                footer {
                    a href="/llms.txt" { "llms.txt" } " · "
                    a href="/mcp/server-card" { "Server card (JSON)" } " · "
                    a href="/health" { "Health" }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    doc.into_string()
}

fn what_it_does() -> Markup {
    let tools = tools();
    html! {
        section #about {
            h2 { "What it does" }
            p {
                "An MCP server that lets AI agents read and triage Sentry: find the issues that matter, "
                "read an error's stack trace and breadcrumbs, follow a trace, search events and logs, "
                "and, when you allow it, resolve issues or start Seer's root-cause analysis."
            }
            h3 { "Skills" }
            p { "Tools come in skills; a connection gets only the skills it is granted." }
            ul.skills {
                @for skill in Skill::ALL {
                    @let (title, what) = skill.describe();
                    li { strong { (title) } " (" code { (skill.id()) } "): " (what) }
                }
            }
            details {
                summary { "All " (tools.len()) " tools" }
                table.tools {
                    thead { tr { th { "Tool" } th { "What it does" } th { "Skills" } } }
                    tbody {
                        @for t in &tools {
                            tr {
                                td { code { (t.name) } @if !t.read_only { " " span.badge { "writes" } } }
                                td { (t.summary) }
                                td { @for (i, s) in t.skills.iter().enumerate() { @if i > 0 { ", " } (s.id()) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn access() -> Markup {
    html! {
        section #access {
            h2 { "How access works" }
            ul {
                li {
                    strong { "Sign in with Sentry (OAuth)." }
                    " Most clients open a browser: you approve the connection, choose its skills "
                    "and can make it read-only. The client gets a token of this server, never your Sentry token."
                }
                li {
                    strong { "Your own Sentry token." }
                    " Clients that send headers can pass a Sentry user auth token as "
                    code { "Authorization: Sentry-Bearer <token>" }
                    "; " code { "?skills=" } " then narrows what it may do."
                }
                li {
                    strong { "Locally." }
                    " The native " code { "sentry-mcp" } " binary speaks MCP over stdio with your token."
                }
            }
            p { "The organization and project in the URL limit every tool of the connection to them." }
        }
    }
}

fn builder(c: &Connection) -> Markup {
    html! {
        section #connect {
            h2 { "Connect" }
            form #builder method="get" action="/" {
                // An empty `skills` value first, so unticking every box reads as "none", not "all".
                input type="hidden" name="skills" value="";
                div.fields {
                    label {
                        "Organization slug (optional)"
                        input type="text" name="org" value=[c.organization.as_deref()] placeholder="my-org"
                            autocomplete="off" autocapitalize="none" spellcheck="false";
                    }
                    label {
                        "Project slug (optional)"
                        input type="text" name="project" value=[c.project.as_deref()] placeholder="my-project"
                            autocomplete="off" autocapitalize="none" spellcheck="false";
                    }
                }
                fieldset {
                    legend { "Skills" }
                    @for skill in Skill::ALL {
                        label.check {
                            input type="checkbox" name="skill" value=(skill.id()) checked[c.skills.contains(skill)];
                            " " (skill.describe().0)
                        }
                    }
                }
                fieldset {
                    legend { "Sign-in" }
                    label.check {
                        input type="radio" name="access" value="oauth" checked[c.access == Access::OAuth];
                        " Sign in with Sentry (OAuth; skills are chosen when you approve)"
                    }
                    label.check {
                        input type="radio" name="access" value="token" checked[c.access == Access::Token];
                        " My own Sentry token in a header"
                    }
                }
                fieldset {
                    legend { "Embedded agent" }
                    label.check {
                        input type="checkbox" name="agent" value="off" checked[c.agent_off];
                        " Off for this connection (where the server runs one for plain-words search and focused answers)"
                    }
                }
                button type="submit" { "Show my setup" }
            }
        }
    }
}

fn result(c: &Connection) -> Markup {
    html! {
        section #result aria-live="polite" {
            @if !c.problems.is_empty() {
                ul.problems role="alert" { @for p in &c.problems { li { (p) } } }
            }
            p { "Your MCP server URL:" }
            div.snippet {
                pre #endpoint { code { (c.endpoint()) } }
                button.copy type="button" hidden { "Copy" }
            }
            @if c.access == Access::OAuth && c.skills != crate::session::SkillSet::all() {
                p.note { "With OAuth, tick the same skills on the approval page; the URL does not carry them." }
            }
        }
    }
}

fn clients(c: &Connection) -> Markup {
    let setups = setups(c);
    html! {
        section #clients {
            h2 { "Set up your client" }
            nav.client-list {
                @for s in &setups { a href={ "#client-" (s.id) } { (s.name) } }
            }
            @for s in &setups {
                section.client id={ "client-" (s.id) } {
                    h3 { (s.name) }
                    @for block in &s.blocks {
                        @match block {
                            Block::Text(t) => p { (t) },
                            Block::Code { caption, code } => {
                                p.caption { (caption) }
                                div.snippet {
                                    pre { code { (code) } }
                                    button.copy type="button" hidden { "Copy" }
                                }
                            },
                            Block::Install { label, href } => p { a.install href=(href) { (label) } },
                        }
                    }
                }
            }
        }
    }
}

fn security() -> Markup {
    html! {
        section #security {
            h2 { "Security, in plain words" }
            ul {
                li {
                    strong { "Event data is untrusted." }
                    " Error messages, stack frames, tags and breadcrumbs are written by the monitored "
                    "application, so anyone who can trigger an error can write them. The server hands them "
                    "to the agent inside a marked boundary and tells it to analyse that text, never to follow it."
                }
                li {
                    strong { "URL limits are enforced by the server." }
                    " With " code { "/mcp/<organization>/<project>" } " every tool is limited to that "
                    "project: the server checks what Sentry returns, it does not rely on the agent's query."
                }
                li {
                    strong { "Tokens are never stored in clear." }
                    " Your Sentry token is kept only encrypted, under a key held by the token this server "
                    "issued to your client; logs and error reports never contain tokens."
                }
                li {
                    strong { "Read-only when you want it." }
                    " Grant only the Inspect skill, or choose read-only on the approval page, and the "
                    "agent cannot change anything in Sentry."
                }
            }
        }
    }
}
