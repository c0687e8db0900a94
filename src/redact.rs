//! Scrubbing credentials out of text before it is quoted, logged or returned.
//!
//! Upstream error details can echo request headers, and event data can contain anything. Before any
//! such text leaves the server it passes through [`scrub`], which removes the caller's own token
//! and anything shaped like a Sentry token or a bearer credential.

/// Replace `secret` (when given) and token-shaped substrings in `text` with `[redacted]`.
pub(crate) fn scrub(text: &str, secret: Option<&str>) -> String {
    let mut out = text.to_string();
    if let Some(s) = secret.filter(|s| s.len() >= 4) {
        out = out.replace(s, "[redacted]");
    }
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    loop {
        let next = ["sntrys_", "sntryu_", "Bearer ", "bearer ", "Sentry-Bearer ", "sentry-bearer "]
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, p.len())))
            .min();
        let Some((i, plen)) = next else {
            result.push_str(rest);
            break;
        };
        result.push_str(&rest[..i + plen]);
        let tail = &rest[i + plen..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '<' | '>'))
            .unwrap_or(tail.len());
        if end > 0 {
            result.push_str("[redacted]");
        }
        rest = &tail[end..];
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_the_secret_and_token_shapes() {
        let t = "sntryu_abcdef0123456789";
        assert_eq!(
            scrub(&format!("bad query: Bearer {t} end"), Some(t)),
            "bad query: Bearer [redacted] end"
        );
        assert_eq!(scrub("key sntrys_eyJpYXQiOjE=.x, ok", None), "key sntrys_[redacted], ok");
        assert_eq!(
            scrub("Authorization: Sentry-Bearer xyz123", None),
            "Authorization: Sentry-Bearer [redacted]"
        );
        assert_eq!(scrub("nothing here", Some("abcd")), "nothing here");
    }
}
