//! Per-client setup for one connection: the ready-to-paste command or configuration, the install
//! link where the client has one, and the steps where it is configured in a window.
//!
//! Every snippet is generated from the same [`Connection`], so each contains the builder's exact
//! URL; configuration files are built as JSON values and serialised (never concatenated), so a
//! value cannot break out of its string. Tokens never appear: token connections name an
//! environment variable or a prompt of the client's own.

use base64::Engine;
use serde_json::{json, Value};

use super::connection::{Access, Connection};

/// The server's name in client configurations.
const NAME: &str = "sentry";
/// The variable the token snippets read the user's Sentry token from.
const TOKEN_VARIABLE: &str = "SENTRY_ACCESS_TOKEN";

/// One part of a client's instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    /// A sentence of instructions.
    Text(String),
    /// Something to paste, with where it goes.
    Code { caption: String, code: String },
    /// A link that installs the server in the client.
    Install { label: String, href: String },
}

/// How one client connects.
#[derive(Debug, Clone)]
pub(crate) struct ClientSetup {
    /// A stable id (HTML anchors, tests).
    pub id: &'static str,
    pub name: &'static str,
    pub blocks: Vec<Block>,
}

fn text(s: impl Into<String>) -> Block {
    Block::Text(s.into())
}

fn code(caption: impl Into<String>, code: impl Into<String>) -> Block {
    Block::Code { caption: caption.into(), code: code.into() }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values serialise")
}

/// The `Authorization` value of a token connection, with the client's way of naming a variable.
fn token_header(variable_reference: &str) -> String {
    format!("Sentry-Bearer {variable_reference}")
}

/// Every client, in the order the page shows them.
pub(crate) fn setups(c: &Connection) -> Vec<ClientSetup> {
    vec![
        claude_code(c),
        claude_apps(c),
        cursor(c),
        vscode(c),
        codex(c),
        chatgpt(c),
        windsurf(c),
        zed(c),
        inspector(c),
        stdio(c),
    ]
}

/// The URL as one shell word: quoted, since `?` is a pattern character in shells.
fn shell_url(c: &Connection) -> String {
    format!("\"{}\"", c.endpoint())
}

fn claude_code(c: &Connection) -> ClientSetup {
    let url = shell_url(c);
    let blocks = match c.access {
        Access::OAuth => vec![
            code("In a terminal", format!("claude mcp add --transport http {NAME} {url}")),
            text(
                "Then run /mcp inside Claude Code and choose Authenticate to sign in with Sentry.",
            ),
        ],
        Access::Token => vec![code(
            format!("In a terminal, with your token in {TOKEN_VARIABLE}"),
            format!(
                "claude mcp add --transport http {NAME} {url} \\\n  --header \"Authorization: {}\"",
                token_header(&format!("${TOKEN_VARIABLE}"))
            ),
        )],
    };
    ClientSetup { id: "claude-code", name: "Claude Code", blocks }
}

fn claude_apps(c: &Connection) -> ClientSetup {
    let mut blocks = vec![
        text("Open Settings → Connectors → Add custom connector. Name it Sentry and paste this URL:"),
        code("Remote MCP server URL", c.endpoint()),
        text("Choose Connect and sign in with Sentry. The connector then works in Claude.ai, Claude Desktop and the mobile apps."),
    ];
    if c.access == Access::Token {
        blocks.push(text(
            "Connectors sign in with OAuth; use one of the other clients to connect with a token.",
        ));
    }
    ClientSetup { id: "claude-apps", name: "Claude.ai and Claude Desktop", blocks }
}

/// The `url` (and for token connections `headers`) of a remote server, shared by the clients
/// whose configuration has that shape.
fn remote_entry(c: &Connection, url_key: &str, token_reference: &str) -> Value {
    let mut entry = json!({ url_key: c.endpoint() });
    if c.access == Access::Token {
        entry["headers"] = json!({"Authorization": token_header(token_reference)});
    }
    entry
}

fn cursor(c: &Connection) -> ClientSetup {
    let entry = remote_entry(c, "url", &format!("${{env:{TOKEN_VARIABLE}}}"));
    let config = base64::engine::general_purpose::STANDARD.encode(entry.to_string());
    let href = format!(
        "cursor://anysphere.cursor-deeplink/mcp/install?name={NAME}&config={}",
        percent_encoding::utf8_percent_encode(&config, percent_encoding::NON_ALPHANUMERIC)
    );
    ClientSetup {
        id: "cursor",
        name: "Cursor",
        blocks: vec![
            Block::Install { label: "Add to Cursor".into(), href },
            code("Or add it to ~/.cursor/mcp.json", pretty(&json!({"mcpServers": {NAME: entry}}))),
        ],
    }
}

fn vscode(c: &Connection) -> ClientSetup {
    let mut server = json!({"type": "http", "url": c.endpoint()});
    let mut inputs = Vec::new();
    if c.access == Access::Token {
        server["headers"] = json!({"Authorization": token_header("${input:sentry-token}")});
        inputs.push(json!({"id": "sentry-token", "type": "promptString", "description": "Sentry user auth token", "password": true}));
    }
    let mut install = json!({"name": NAME});
    install.as_object_mut().expect("object").extend(server.as_object().expect("object").clone());
    if !inputs.is_empty() {
        install["inputs"] = json!(inputs);
    }
    let href = format!(
        "vscode:mcp/install?{}",
        percent_encoding::utf8_percent_encode(
            &install.to_string(),
            percent_encoding::NON_ALPHANUMERIC
        )
    );
    let mut file = json!({"servers": {NAME: server}});
    if !inputs.is_empty() {
        file["inputs"] = json!(inputs);
    }
    ClientSetup {
        id: "vscode",
        name: "VS Code",
        blocks: vec![
            Block::Install { label: "Install in VS Code".into(), href },
            code("Or add it to .vscode/mcp.json", pretty(&file)),
        ],
    }
}

fn codex(c: &Connection) -> ClientSetup {
    let url = c.endpoint();
    let blocks = match c.access {
        Access::OAuth => vec![
            code(
                "In a terminal",
                format!("codex mcp add {NAME} --url {}\ncodex mcp login {NAME}", shell_url(c)),
            ),
            code("Or add it to ~/.codex/config.toml", format!("[mcp_servers.{NAME}]\nurl = {}", toml_string(&url))),
        ],
        Access::Token => vec![code(
            format!("Add it to ~/.codex/config.toml (the token is read from {TOKEN_VARIABLE})"),
            format!(
                "[mcp_servers.{NAME}]\nurl = {}\nenv_http_headers = {{ \"Sentry-Bearer\" = \"{TOKEN_VARIABLE}\" }}",
                toml_string(&url)
            ),
        )],
    };
    ClientSetup { id: "codex", name: "Codex", blocks }
}

/// A TOML basic string (the URL holds only validated slugs, but the quoting stays correct).
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

fn chatgpt(c: &Connection) -> ClientSetup {
    let mut blocks = vec![
        text("Open Settings → Apps → Advanced settings and turn on Developer mode; then choose Create app."),
        code("MCP server URL", c.endpoint()),
        text("Choose OAuth as the authentication and sign in with Sentry."),
    ];
    if c.access == Access::Token {
        blocks.push(text(
            "ChatGPT signs in with OAuth; use one of the other clients to connect with a token.",
        ));
    }
    ClientSetup { id: "chatgpt", name: "ChatGPT", blocks }
}

fn windsurf(c: &Connection) -> ClientSetup {
    let entry = remote_entry(c, "serverUrl", &format!("${{env:{TOKEN_VARIABLE}}}"));
    ClientSetup {
        id: "windsurf",
        name: "Windsurf",
        blocks: vec![code(
            "Add it to ~/.codeium/windsurf/mcp_config.json",
            pretty(&json!({"mcpServers": {NAME: entry}})),
        )],
    }
}

fn zed(c: &Connection) -> ClientSetup {
    let entry = remote_entry(c, "url", "<your Sentry token>");
    ClientSetup {
        id: "zed",
        name: "Zed",
        blocks: vec![code(
            "Add it to Zed's settings.json",
            pretty(&json!({"context_servers": {NAME: entry}})),
        )],
    }
}

fn inspector(c: &Connection) -> ClientSetup {
    let mut blocks = vec![code(
        "In a terminal",
        format!(
            "npx @modelcontextprotocol/inspector --transport http --server-url {}",
            shell_url(c)
        ),
    )];
    blocks.push(text(match c.access {
        Access::OAuth => "In the Inspector, open Authentication and run the OAuth flow, then Connect.",
        Access::Token => "In the Inspector, add the header Authorization: Sentry-Bearer <your Sentry token>, then Connect.",
    }));
    ClientSetup { id: "inspector", name: "MCP Inspector", blocks }
}

fn stdio(c: &Connection) -> ClientSetup {
    let entry = json!({
        "command": "sentry-mcp",
        "args": c.stdio_args(),
        "env": {TOKEN_VARIABLE: "<your Sentry user auth token>"},
    });
    let mut command = String::from("sentry-mcp");
    for arg in c.stdio_args() {
        command.push(' ');
        command.push_str(&arg);
    }
    ClientSetup {
        id: "stdio",
        name: "Local agents (stdio binary)",
        blocks: vec![
            text("Agents that start servers as local processes (Claude Code, Cursor, Zed, JetBrains, Xcode...) can run the native binary instead; it talks to Sentry directly with your token."),
            code(format!("The command, with your token in {TOKEN_VARIABLE}"), command),
            code("Or as an mcpServers entry", pretty(&json!({"mcpServers": {NAME: entry}}))),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(query: &[(&str, &str)]) -> Connection {
        Connection::from_query("https://mcp.example.com", query.iter().copied())
    }

    #[test]
    fn every_client_gets_the_exact_url() {
        for query in [
            &[("org", "acme"), ("project", "web")][..],
            &[("org", "acme"), ("skills", "inspect"), ("access", "token")][..],
        ] {
            let c = connection(query);
            let url = c.endpoint();
            for setup in setups(&c) {
                let shown = setup.blocks.iter().any(|b| match b {
                    Block::Code { code, .. } => code.contains(&url),
                    _ => false,
                });
                // The stdio binary has no URL: its flags say the same thing.
                assert!(shown || setup.id == "stdio", "{} lacks {url}", setup.id);
            }
        }
    }

    #[test]
    fn install_links_carry_the_configuration() {
        let c = connection(&[("org", "acme")]);
        let setups = setups(&c);
        let href = |id: &str| {
            setups
                .iter()
                .find(|s| s.id == id)
                .and_then(|s| {
                    s.blocks.iter().find_map(|b| match b {
                        Block::Install { href, .. } => Some(href.clone()),
                        _ => None,
                    })
                })
                .unwrap()
        };
        let cursor = href("cursor");
        let config = cursor.split("config=").nth(1).unwrap();
        let config = percent_encoding::percent_decode_str(config).decode_utf8().unwrap();
        let decoded = base64::engine::general_purpose::STANDARD.decode(config.as_bytes()).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&decoded).unwrap(),
            json!({"url": "https://mcp.example.com/mcp/acme"})
        );
        let vscode = href("vscode");
        let config = percent_encoding::percent_decode_str(
            vscode.strip_prefix("vscode:mcp/install?").unwrap(),
        )
        .decode_utf8()
        .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&config).unwrap(),
            json!({"name": "sentry", "type": "http", "url": "https://mcp.example.com/mcp/acme"})
        );
    }

    #[test]
    fn token_snippets_name_a_variable_never_a_value() {
        let c = connection(&[("access", "token")]);
        for setup in setups(&c) {
            for block in &setup.blocks {
                if let Block::Code { code, .. } = block {
                    assert!(!code.contains("sntry"), "{}: {code}", setup.id);
                }
            }
        }
        let cursor = &setups(&c)[2];
        assert!(
            matches!(&cursor.blocks[1], Block::Code { code, .. } if code.contains("Sentry-Bearer ${env:SENTRY_ACCESS_TOKEN}"))
        );
    }
}
