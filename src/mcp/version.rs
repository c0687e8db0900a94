//! Protocol versions and what each one allows on the wire.
//!
//! The server is stateless, so it learns the version on every request: from `initialize` or the
//! `MCP-Protocol-Version` header (legacy era) or from `_meta` (modern era). Output fields that a
//! version does not define are only emitted to clients that speak a version defining them.

use std::fmt;

/// A protocol revision this server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ProtocolVersion {
    V2024_11_05,
    V2025_03_26,
    V2025_06_18,
    V2025_11_25,
    V2026_07_28,
}

use ProtocolVersion::*;

impl ProtocolVersion {
    /// Initialize-based versions, newest first.
    pub(crate) const LEGACY: [ProtocolVersion; 4] =
        [V2025_11_25, V2025_06_18, V2025_03_26, V2024_11_05];
    /// `_meta`-based versions, newest first.
    pub(crate) const MODERN: [ProtocolVersion; 1] = [V2026_07_28];
    /// What a legacy client gets when it asks for a version we do not serve over `initialize`.
    pub(crate) const LATEST_LEGACY: ProtocolVersion = V2025_11_25;
    /// What a legacy request without `MCP-Protocol-Version` is assumed to speak.
    pub(crate) const DEFAULT_LEGACY: ProtocolVersion = V2025_03_26;

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "2024-11-05" => V2024_11_05,
            "2025-03-26" => V2025_03_26,
            "2025-06-18" => V2025_06_18,
            "2025-11-25" => V2025_11_25,
            "2026-07-28" => V2026_07_28,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            V2024_11_05 => "2024-11-05",
            V2025_03_26 => "2025-03-26",
            V2025_06_18 => "2025-06-18",
            V2025_11_25 => "2025-11-25",
            V2026_07_28 => "2026-07-28",
        }
    }

    pub(crate) fn is_modern(self) -> bool {
        self >= V2026_07_28
    }

    /// Tool annotations (`readOnlyHint`...).
    pub(crate) fn has_annotations(self) -> bool {
        self >= V2025_03_26
    }

    /// `title`, `outputSchema`, `structuredContent`, resource links.
    pub(crate) fn has_structured_output(self) -> bool {
        self >= V2025_06_18
    }

    /// `icons`, `description`/`websiteUrl` in server info.
    pub(crate) fn has_icons(self) -> bool {
        self >= V2025_11_25
    }

    /// The experimental tasks of 2025-11-25 (`params.task`, `tasks/get`, `tasks/result`); the
    /// modern era moved tasks into an extension, negotiated per request instead.
    pub(crate) fn has_experimental_tasks(self) -> bool {
        self == V2025_11_25
    }

    /// JSON-RPC batches existed only in 2025-03-26.
    pub(crate) fn allows_batch(self) -> bool {
        self == V2025_03_26
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_gates_features() {
        assert!(!V2024_11_05.has_annotations());
        assert!(V2025_03_26.has_annotations() && !V2025_03_26.has_structured_output());
        assert!(V2025_06_18.has_structured_output() && !V2025_06_18.has_icons());
        assert!(V2026_07_28.is_modern() && !V2025_11_25.is_modern());
        for v in ProtocolVersion::LEGACY.iter().chain(ProtocolVersion::MODERN.iter()) {
            assert_eq!(ProtocolVersion::parse(v.as_str()), Some(*v));
        }
        assert_eq!(ProtocolVersion::parse("2099-01-01"), None);
    }
}
