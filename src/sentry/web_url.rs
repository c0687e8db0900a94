//! Understanding the Sentry links people paste: customer domains (`acme.sentry.io`), legacy
//! `/organizations/{org}/` paths, region hosts, old short paths and self-hosted prefixes.
//!
//! Only the org and resource ids are taken from a URL; the URL's host is never contacted, so a
//! link to another Sentry cannot redirect our calls.

use url::Url;

use super::ids::{self, InvalidId};

/// What a Sentry web URL points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SentryResource {
    Issue {
        org: String,
        issue_id: String,
        event_id: Option<String>,
    },
    /// An event addressed by project (Discover links: `/discover/{project}:{eventId}/`).
    ProjectEvent {
        org: String,
        project: String,
        event_id: String,
    },
    Trace {
        org: String,
        trace_id: String,
        span_id: Option<String>,
    },
    /// A span, by id (only by type: span links are trace links with `?node=span-…`).
    Span {
        org: String,
        span_id: String,
    },
    /// A session replay.
    Replay {
        org: String,
        replay_id: String,
    },
    /// A release, by version.
    Release {
        org: String,
        version: String,
    },
    /// A profile, by project and profile id.
    Profile {
        org: String,
        project: String,
        profile_id: String,
    },
    /// An AI agent conversation.
    Conversation {
        org: String,
        conversation_id: String,
    },
    /// A recognised page this server has no tool for yet (monitor, dashboard...).
    Unsupported {
        org: Option<String>,
        kind: &'static str,
    },
}

/// Subdomains of sentry.io that are not organizations.
const NOT_ORGS: [&str; 6] = ["www", "us", "de", "eu", "docs", "status"];
/// First path segments that are pages, not organizations, in old short links.
const NOT_ORG_SEGMENTS: [&str; 10] = [
    "organizations",
    "issues",
    "settings",
    "auth",
    "api",
    "share",
    "explore",
    "performance",
    "discover",
    "projects",
];

/// Parse a Sentry web URL into the resource it names.
pub(crate) fn parse(raw: &str) -> Result<SentryResource, InvalidId> {
    let trimmed = raw.trim().trim_matches(|c| matches!(c, '<' | '>' | '"' | '\'' | '`'));
    let url = Url::parse(trimmed)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| InvalidId(format!("'{}' is not an http(s) URL; pass a Sentry link such as https://acme.sentry.io/issues/1234/", short(trimmed))))?;
    let segments: Vec<&str> =
        url.path_segments().map(|s| s.filter(|p| !p.is_empty()).collect()).unwrap_or_default();
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();

    let mut org: Option<String> = None;
    if let Some(sub) = host.strip_suffix(".sentry.io") {
        let labels: Vec<&str> = sub.split('.').collect();
        let candidate = match labels.as_slice() {
            [one] => Some(*one),
            [one, region] if matches!(*region, "us" | "de" | "eu") => Some(*one),
            _ => None,
        };
        org = candidate.filter(|c| !NOT_ORGS.contains(c)).map(str::to_string);
    }
    let mut rest: &[&str] = &segments;
    if let Some(i) = segments.iter().position(|s| *s == "organizations") {
        if let Some(o) = segments.get(i + 1) {
            org = Some(o.to_string());
            rest = &segments[i + 2..];
        }
    } else if org.is_none() {
        // Old short links: sentry.io/{org}/issues/{id}/ or sentry.io/{org}/{project}/issues/{id}/
        if let Some(first) = segments.first().filter(|s| !NOT_ORG_SEGMENTS.contains(s)) {
            if segments.contains(&"issues") {
                org = Some(first.to_string());
                rest = &segments[1..];
            }
        }
    }
    let org = org.map(|o| ids::slug("organization", &o)).transpose()?;
    let need_org = |org: Option<String>| {
        org.ok_or_else(|| {
            InvalidId(format!(
                "could not find the organization in '{}'; pass organizationSlug as well",
                short(trimmed)
            ))
        })
    };

    let after =
        |name: &str| rest.iter().position(|s| *s == name).and_then(|i| rest.get(i + 1)).copied();
    if rest.contains(&"share") {
        return Ok(SentryResource::Unsupported { org, kind: "public share link" });
    }
    if let Some(id) = after("issues") {
        let issue_id = ids::issue_id(id)?;
        let event_id = after("events").map(ids::event_id).transpose()?;
        return Ok(SentryResource::Issue { org: need_org(org)?, issue_id, event_id });
    }
    if let Some(id) = after("trace") {
        let trace_id = ids::trace_id(id)?;
        let span_id = url
            .query_pairs()
            .find(|(k, _)| k == "node")
            .and_then(|(_, v)| v.strip_prefix("span-").map(str::to_string))
            .filter(|s| s.len() == 16 && s.chars().all(|c| c.is_ascii_hexdigit()));
        return Ok(SentryResource::Trace { org: need_org(org)?, trace_id, span_id });
    }
    if let Some(spec) = after("discover").filter(|s| s.contains(':')) {
        let (project, event) = spec.split_once(':').unwrap_or_default();
        return Ok(SentryResource::ProjectEvent {
            org: need_org(org)?,
            project: ids::slug("project", project)?,
            event_id: ids::event_id(event)?,
        });
    }
    if let Some(id) = after("replays") {
        return Ok(SentryResource::Replay { org: need_org(org)?, replay_id: ids::replay_id(id)? });
    }
    if let Some(raw) = after("releases") {
        let version = percent_encoding::percent_decode_str(raw).decode_utf8_lossy().into_owned();
        return Ok(SentryResource::Release {
            org: need_org(org)?,
            version: ids::release(&version)?,
        });
    }
    if let (Some(project), Some(id)) =
        (after("profile"), rest.iter().position(|s| *s == "profile").and_then(|i| rest.get(i + 2)))
    {
        return Ok(SentryResource::Profile {
            org: need_org(org)?,
            project: ids::slug("project", project)?,
            profile_id: ids::event_id(id)?,
        });
    }
    if let Some(id) = after("conversations") {
        return Ok(SentryResource::Conversation {
            org: need_org(org)?,
            conversation_id: ids::opaque("conversation", id)?,
        });
    }
    for (segment, kind) in [
        ("crons", "cron monitor"),
        ("monitors", "monitor"),
        ("alerts", "alert"),
        ("dashboard", "dashboard"),
        ("profiling", "profile"),
        ("conversations", "AI conversation"),
        ("summary", "performance summary"),
    ] {
        if rest.contains(&segment) {
            return Ok(SentryResource::Unsupported { org, kind });
        }
    }
    Err(InvalidId(format!(
        "'{}' is not a Sentry link this server opens. Supported: …/issues/<id>/[events/<eventId>/], …/trace/<traceId>/, …/replays/<id>/, …/releases/<version>/, …/profiling/profile/<project>/<id>/, …/conversations/<id>/",
        short(trimmed)
    )))
}

fn short(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(org: &str, id: &str, event: Option<&str>) -> SentryResource {
        SentryResource::Issue {
            org: org.into(),
            issue_id: id.into(),
            event_id: event.map(Into::into),
        }
    }

    #[test]
    fn issue_links_in_every_form() {
        assert_eq!(
            parse("https://acme.sentry.io/issues/4512/?project=1&query=x").unwrap(),
            issue("acme", "4512", None)
        );
        assert_eq!(
            parse("https://acme.sentry.io/issues/WEB-7K/events/9f2c5e0b1d6a4c3e8b7a6f5e4d3c2b1a/")
                .unwrap(),
            issue("acme", "WEB-7K", Some("9f2c5e0b1d6a4c3e8b7a6f5e4d3c2b1a"))
        );
        assert_eq!(
            parse("https://sentry.io/organizations/acme/issues/12/events/latest/").unwrap(),
            issue("acme", "12", Some("latest"))
        );
        assert_eq!(
            parse("https://us.sentry.io/organizations/acme/issues/12/").unwrap(),
            issue("acme", "12", None)
        );
        assert_eq!(parse("https://sentry.io/acme/issues/12/").unwrap(), issue("acme", "12", None));
        assert_eq!(
            parse("https://sentry.io/acme/web/issues/12/").unwrap(),
            issue("acme", "12", None)
        );
        assert_eq!(
            parse("http://sentry.internal:9000/prefix/organizations/acme/issues/12/").unwrap(),
            issue("acme", "12", None)
        );
        assert_eq!(
            parse("<https://acme.de.sentry.io/issues/12/>").unwrap(),
            issue("acme", "12", None)
        );
    }

    #[test]
    fn traces_events_and_unsupported() {
        let t = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            parse(&format!(
                "https://acme.sentry.io/explore/traces/trace/{t}/?node=span-0123456789abcdef"
            ))
            .unwrap(),
            SentryResource::Trace {
                org: "acme".into(),
                trace_id: t.into(),
                span_id: Some("0123456789abcdef".into())
            }
        );
        assert!(matches!(
            parse(&format!("https://sentry.io/organizations/acme/performance/trace/{t}/")).unwrap(),
            SentryResource::Trace { .. }
        ));
        assert!(matches!(
            parse("https://acme.sentry.io/discover/web:9f2c5e0b1d6a4c3e8b7a6f5e4d3c2b1a/").unwrap(),
            SentryResource::ProjectEvent { .. }
        ));
        assert_eq!(
            parse("https://acme.sentry.io/crons/api/nightly/").unwrap(),
            SentryResource::Unsupported { org: Some("acme".into()), kind: "cron monitor" }
        );
        assert!(matches!(
            parse("https://acme.sentry.io/share/issue/abc/").unwrap(),
            SentryResource::Unsupported { .. }
        ));
    }

    #[test]
    fn replays_releases_profiles_and_conversations() {
        assert_eq!(
            parse("https://acme.sentry.io/explore/replays/7e07485f-12f9-416b-8b14-26260799b51f/")
                .unwrap(),
            SentryResource::Replay {
                org: "acme".into(),
                replay_id: "7e07485f12f9416b8b1426260799b51f".into()
            }
        );
        assert!(parse("https://acme.sentry.io/replays/abc/").is_err(), "a replay id is a UUID");
        assert_eq!(
            parse("https://sentry.io/organizations/acme/releases/web%402.14.1%2B7/?project=1")
                .unwrap(),
            SentryResource::Release { org: "acme".into(), version: "web@2.14.1+7".into() }
        );
        assert!(
            parse("https://acme.sentry.io/releases/a%2F..%2Fb/").is_err(),
            "no '/' in a version"
        );
        assert_eq!(
            parse("https://acme.sentry.io/explore/profiling/profile/api-server/d4c3b2a1f0e94d8c8b7a6f5e4d3c2b1a/flamegraph/").unwrap(),
            SentryResource::Profile {
                org: "acme".into(),
                project: "api-server".into(),
                profile_id: "d4c3b2a1f0e94d8c8b7a6f5e4d3c2b1a".into()
            }
        );
        assert_eq!(
            parse("https://acme.sentry.io/explore/conversations/conv-7f3a91/").unwrap(),
            SentryResource::Conversation {
                org: "acme".into(),
                conversation_id: "conv-7f3a91".into()
            }
        );
    }

    #[test]
    fn rejects_what_is_not_a_sentry_link() {
        assert!(parse("ftp://acme.sentry.io/issues/1/").is_err());
        assert!(parse("not a url").is_err());
        assert!(parse("https://www.sentry.io/issues/1/").is_err(), "www is not an org");
        assert!(parse("https://acme.sentry.io/issues/../../etc/").is_err());
        assert!(parse("https://acme.sentry.io/settings/").is_err());
    }
}
