//! Bucketing MCP clients into families for dashboards, from the MCP `clientInfo.name` when the
//! request carries one, else from the User-Agent. Unknown values never pass through verbatim.

/// The family of a `clientInfo.name`, if recognised.
pub(crate) fn from_client_name(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    Some(match () {
        _ if n.contains("claude-code") || n.contains("claude code") => "claude-code",
        _ if n.contains("claude") => "claude-desktop",
        _ if n.contains("cursor") => "cursor",
        _ if n.contains("visual studio code") || n.contains("vscode") => "vscode",
        _ if n.contains("codex") => "codex",
        _ if n.contains("windsurf") => "windsurf",
        _ if n.contains("inspector") => "inspector",
        _ => return None,
    })
}

/// The family of a User-Agent string.
pub(crate) fn from_user_agent(ua: &str) -> &'static str {
    if let Some(f) = from_client_name(ua) {
        return f;
    }
    let u = ua.to_ascii_lowercase();
    match () {
        _ if u.contains("python") || u.contains("httpx") || u.contains("aiohttp") => "python",
        _ if u.contains("node") || u.contains("undici") || u.starts_with("bun") => "node",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert_eq!(from_user_agent("claude-code/2.1.4 (cli)"), "claude-code");
        assert_eq!(from_user_agent("Cursor/1.7"), "cursor");
        assert_eq!(from_user_agent("python-httpx/0.28"), "python");
        assert_eq!(from_user_agent("node"), "node");
        assert_eq!(from_user_agent("curl/8"), "other");
        assert_eq!(from_client_name("Visual Studio Code"), Some("vscode"));
        assert_eq!(from_client_name("mcp-inspector"), Some("inspector"));
        assert_eq!(from_client_name("my-bot"), None);
    }
}
