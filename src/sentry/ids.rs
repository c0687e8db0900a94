//! Validation of the identifiers that end up in Sentry API paths.
//!
//! Models paste ids in many shapes (`web-7k.`, a UUID with dashes, a slug with spaces). Each
//! function normalises the forms Sentry accepts and rejects everything else with a sentence the
//! model can act on; nothing unvalidated reaches a URL path.

/// An identifier that cannot be used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct InvalidId(pub String);

/// An organization, project or team slug: a letter or digit, then letters, digits, `.`, `_`, `-`.
pub(crate) fn slug(kind: &str, raw: &str) -> Result<String, InvalidId> {
    let s = raw.trim();
    let ok = !s.is_empty()
        && s.len() <= 100
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(InvalidId(format!(
            "'{}' is not a valid {kind} slug (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100 characters)",
            preview(s)
        )))
    }
}

/// A project given as slug or numeric id.
pub(crate) fn project_slug_or_id(raw: &str) -> Result<String, InvalidId> {
    slug("project", raw)
}

/// An issue id: numeric group id (`4512`) or short id (`WEB-API-7K`), upper-cased; trailing
/// punctuation that models tend to add is dropped.
pub(crate) fn issue_id(raw: &str) -> Result<String, InvalidId> {
    let s = raw.trim().trim_end_matches(['.', ',', ';', ':', ')', ']', '"', '\'', '`']);
    let s = s.trim_start_matches(['(', '[', '"', '\'', '`', '#']);
    if !s.is_empty() && s.len() <= 100 && s.chars().all(|c| c.is_ascii_digit()) {
        return Ok(s.to_string());
    }
    let upper = s.to_ascii_uppercase();
    let short_ok = upper.len() <= 100
        && upper.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && upper.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && upper.rsplit_once('-').is_some_and(|(prefix, suffix)| {
            !prefix.is_empty()
                && !suffix.is_empty()
                && suffix.chars().all(|c| c.is_ascii_alphanumeric())
        });
    if short_ok {
        Ok(upper)
    } else {
        Err(InvalidId(format!(
            "'{}' is not an issue id: use the numeric id (e.g. 4512), the short id shown in Sentry (e.g. WEB-API-7K) or pass the issue URL as issueUrl",
            preview(s)
        )))
    }
}

/// An event id: 32 hex digits (dashes allowed, as in a UUID), or `latest`, `oldest`, `recommended`.
pub(crate) fn event_id(raw: &str) -> Result<String, InvalidId> {
    let s = raw.trim();
    let lower = s.to_ascii_lowercase();
    if matches!(lower.as_str(), "latest" | "oldest" | "recommended") {
        return Ok(lower);
    }
    let hex: String = lower.chars().filter(|c| *c != '-').collect();
    if hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(InvalidId(format!(
            "'{}' is not an event id: use the 32-character hex id (e.g. 9f2c5e0b1d6a4c3e8b7a6f5e4d3c2b1a) or 'latest', 'oldest', 'recommended'",
            preview(s)
        )))
    }
}

/// A trace id: 32 hex digits.
pub(crate) fn trace_id(raw: &str) -> Result<String, InvalidId> {
    hex(raw, 32, "a trace id: a trace id is 32 hex characters")
}

/// `raw` without dashes, lower-cased, if it is `len` hex digits; else "'raw' is not {what}".
fn hex(raw: &str, len: usize, what: &str) -> Result<String, InvalidId> {
    let lower = raw.trim().to_ascii_lowercase().replace('-', "");
    if lower.len() == len && lower.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(lower)
    } else {
        Err(InvalidId(format!("'{}' is not {what}", preview(raw.trim()))))
    }
}

/// A replay id: a UUID, with or without dashes (32 hex digits).
pub(crate) fn replay_id(raw: &str) -> Result<String, InvalidId> {
    hex(raw, 32, "a replay id: a replay id is a UUID (32 hex characters, dashes optional)")
}

/// A span id: 16 hex digits.
pub(crate) fn span_id(raw: &str) -> Result<String, InvalidId> {
    hex(raw, 16, "a span id: a span id is 16 hex characters")
}

/// A release version as Sentry stores it (`web@2.14.1`, `1.0+build.7`): printable, no `/`,
/// not `.` or `..`, at most 200 characters (path segments are encoded when sent).
pub(crate) fn release(raw: &str) -> Result<String, InvalidId> {
    let s = raw.trim();
    let ok = !s.is_empty()
        && s.len() <= 200
        && !matches!(s, "." | "..")
        && !s.chars().any(|c| c.is_control() || c == '/' || c == '\\' || c.is_whitespace());
    if ok {
        Ok(s.to_string())
    } else {
        Err(InvalidId(format!(
            "'{}' is not a release version: pass the version as Sentry shows it (e.g. web@2.14.1), without spaces or '/'",
            preview(s)
        )))
    }
}

/// An opaque id assigned by an SDK (an AI conversation id): 1 to 128 letters, digits and `-_.:`.
pub(crate) fn opaque(kind: &str, raw: &str) -> Result<String, InvalidId> {
    let s = raw.trim();
    if !s.is_empty()
        && s.len() <= 128
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
    {
        Ok(s.to_string())
    } else {
        Err(InvalidId(format!(
            "'{}' is not a {kind} id (letters, digits, '-', '_', '.', ':', at most 128)",
            preview(s)
        )))
    }
}

/// A stats period such as `24h`, `14d` or `2w`.
pub(crate) fn period(raw: &str) -> Result<String, InvalidId> {
    let s = raw.trim().to_ascii_lowercase();
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    if !num.is_empty()
        && num.len() <= 4
        && num.chars().all(|c| c.is_ascii_digit())
        && matches!(unit, "m" | "h" | "d" | "w")
        && num != "0"
    {
        Ok(s)
    } else {
        Err(InvalidId(format!(
            "'{}' is not a period: use a number and a unit, e.g. 1h, 24h, 14d, 2w",
            preview(raw.trim())
        )))
    }
}

/// Shortens user input quoted back in an error message.
fn preview(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_ids_in_the_forms_models_paste() {
        assert_eq!(issue_id("4512").unwrap(), "4512");
        assert_eq!(issue_id(" web-api-7k. ").unwrap(), "WEB-API-7K");
        assert_eq!(issue_id("(WEB-7K)").unwrap(), "WEB-7K");
        assert!(issue_id("WEB").is_err());
        assert!(issue_id("../etc").is_err());
        assert!(issue_id("").is_err());
        assert!(issue_id("WEB-7K/../../x").is_err());
    }

    #[test]
    fn event_and_trace_ids() {
        assert_eq!(event_id("LATEST").unwrap(), "latest");
        assert_eq!(
            event_id("9F2C5E0B-1D6A-4C3E-8B7A-6F5E4D3C2B1A").unwrap(),
            "9f2c5e0b1d6a4c3e8b7a6f5e4d3c2b1a"
        );
        assert!(event_id("xyz").is_err());
        assert!(trace_id("0123456789abcdef0123456789abcdef").is_ok());
        assert!(trace_id("0123").is_err());
    }

    #[test]
    fn slugs_and_periods() {
        assert_eq!(slug("organization", " acme ").unwrap(), "acme");
        assert!(slug("organization", "..").is_err());
        assert!(slug("organization", "a/b").is_err());
        assert!(slug("organization", "-x").is_err());
        assert_eq!(period("14D").unwrap(), "14d");
        assert!(period("0d").is_err());
        assert!(period("forever").is_err());
    }
}
