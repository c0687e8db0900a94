//! Sentry API paths built from validated, percent-encoded segments.
//!
//! Every value that reaches a path goes through [`ApiPath::seg`], which encodes it and refuses
//! `.`/`..`/empty segments, so a model-supplied id can never walk to another endpoint.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters left as they are in a path segment: RFC 3986 unreserved.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A path below `/api/0/`, always ending in `/` as Sentry expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiPath(String);

/// A segment that must not be used in a path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' cannot be used as part of a Sentry API path")]
pub(crate) struct BadSegment(pub String);

impl ApiPath {
    /// The API root, `/api/0/`.
    pub(crate) fn root() -> Self {
        Self(String::from("/api/0/"))
    }

    /// Append one segment, percent-encoded.
    pub(crate) fn seg(mut self, segment: &str) -> Result<Self, BadSegment> {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(BadSegment(segment.to_string()));
        }
        self.0.extend(utf8_percent_encode(segment, SEGMENT));
        self.0.push('/');
        Ok(self)
    }

    /// Build from segments in one go: `ApiPath::of(&["organizations", org, "issues"])`.
    pub(crate) fn of(segments: &[&str]) -> Result<Self, BadSegment> {
        segments.iter().try_fold(Self::root(), |p, s| p.seg(s))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_refuses_traversal() {
        assert_eq!(
            ApiPath::of(&["organizations", "acme", "issues"]).unwrap().as_str(),
            "/api/0/organizations/acme/issues/"
        );
        assert_eq!(
            ApiPath::of(&["releases", "app@1.0 +b/2"]).unwrap().as_str(),
            "/api/0/releases/app%401.0%20%2Bb%2F2/"
        );
        assert!(ApiPath::of(&["organizations", ".."]).is_err());
        assert!(ApiPath::of(&["organizations", ""]).is_err());
        assert_eq!(ApiPath::of(&["a", "..."]).unwrap().as_str(), "/api/0/a/.../");
    }
}
