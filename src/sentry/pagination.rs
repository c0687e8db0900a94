//! Sentry's cursor pagination, read from the `Link` response header.
//!
//! Sentry always sends both `rel="previous"` and `rel="next"`; only a `next` entry with
//! `results="true"` means there is another page. Cursors are opaque and passed back verbatim.

/// The next page, if Sentry says there is one.
pub(crate) fn next_cursor(link_header: Option<&str>) -> Option<String> {
    let header = link_header?;
    for entry in split_entries(header) {
        let mut rel = None;
        let mut results = None;
        let mut cursor = None;
        for param in entry.split(';').skip(1) {
            let Some((k, v)) = param.split_once('=') else { continue };
            let v = v.trim().trim_matches('"');
            match k.trim() {
                "rel" => rel = Some(v),
                "results" => results = Some(v),
                "cursor" => cursor = Some(v),
                _ => {}
            }
        }
        if rel == Some("next") && results == Some("true") {
            return cursor.filter(|c| !c.is_empty()).map(str::to_string);
        }
    }
    None
}

/// Split a Link header on the commas between entries (commas inside `<…>` belong to the URL).
fn split_entries(header: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in header.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                out.push(header[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(header[start..].trim());
    out
}

/// Whether a string looks like a Sentry cursor we may pass back (`<value>:<offset>:<is_prev>`).
pub(crate) fn is_valid_cursor(cursor: &str) -> bool {
    !cursor.is_empty()
        && cursor.len() <= 200
        && cursor.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '.' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: &str = r#"<https://sentry.io/api/0/organizations/acme/issues/?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://sentry.io/api/0/organizations/acme/issues/?cursor=0:100:0&a=b,c>; rel="next"; results="true"; cursor="0:100:0""#;

    #[test]
    fn finds_next_only_when_results_true() {
        assert_eq!(next_cursor(Some(BOTH)).as_deref(), Some("0:100:0"));
        assert_eq!(
            next_cursor(Some(&BOTH.replace(r#"results="true""#, r#"results="false""#))),
            None
        );
        assert_eq!(next_cursor(None), None);
        assert_eq!(next_cursor(Some("garbage")), None);
    }

    #[test]
    fn cursor_shape() {
        assert!(is_valid_cursor("1700000000000:25:0"));
        assert!(!is_valid_cursor("0:0:0&project=1"));
        assert!(!is_valid_cursor(""));
    }
}
