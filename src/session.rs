//! Who is calling and what they may do: the upstream token, the granted skills and the
//! org/project constraints. The HTTP layer builds one per request (from the headers, `?skills=`
//! and `/mcp/{org}/{project}`); the stdio binary builds one at start (from its flags). Both go
//! through [`SkillSet::choose`] and [`Constraints::new`], so the rules are the same.

use std::fmt;

use crate::sentry::ids::{self, InvalidId};

/// A group of tools a user can grant or withhold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Skill {
    Inspect,
    Triage,
    Seer,
    ProjectManagement,
}

impl Skill {
    pub(crate) const ALL: [Skill; 4] =
        [Skill::Inspect, Skill::Triage, Skill::Seer, Skill::ProjectManagement];

    pub(crate) fn id(self) -> &'static str {
        match self {
            Skill::Inspect => "inspect",
            Skill::Triage => "triage",
            Skill::Seer => "seer",
            Skill::ProjectManagement => "project-management",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.id().eq_ignore_ascii_case(s.trim()))
    }

    /// The skill's name and what it lets a client do, in words for people (the consent page, the
    /// landing page and the server description).
    pub(crate) fn describe(self) -> (&'static str, &'static str) {
        match self {
            Skill::Inspect => {
                ("Inspect", "read issues, events, traces, logs, monitors, alerts and dashboards")
            }
            Skill::Triage => ("Triage", "resolve, assign, comment on and link issues"),
            Skill::Seer => ("Seer", "start and read Sentry's AI root-cause analysis"),
            Skill::ProjectManagement => {
                ("Project management", "configure projects, teams, client keys and uptime monitors")
            }
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Skill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A set of skills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SkillSet(u8);

/// A `skills` / `disable-skills` value that names no known skill.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown skill '{0}'; known skills are inspect, triage, seer, project-management")]
pub(crate) struct UnknownSkill(pub String);

/// Why a skill selection cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SkillChoiceError {
    #[error(transparent)]
    Unknown(#[from] UnknownSkill),
    #[error(
        "no skills left enabled: keep at least one of inspect, triage, seer, project-management"
    )]
    NoneLeft,
}

impl SkillSet {
    pub(crate) fn all() -> Self {
        Skill::ALL.iter().fold(Self(0), |s, k| s.with(*k))
    }

    pub(crate) fn none() -> Self {
        Self(0)
    }

    /// The skills the official server turns on by default (inspect and seer): what the consent
    /// page ticks first and what the default token budget of `tools/list` is measured on.
    pub(crate) fn defaults() -> Self {
        Self::none().with(Skill::Inspect).with(Skill::Seer)
    }

    /// The Sentry scopes an OAuth sign-in asks for with these skills: the reads every tool needs,
    /// `alerts:read` for the monitor and alert reads, and write scopes only for the skills that
    /// write (none for a read-only consent). Space-separated, as Sentry's `scope` parameter.
    pub(crate) fn upstream_scopes(self, read_only: bool) -> String {
        let mut scopes = vec!["org:read", "project:read", "team:read", "event:read"];
        if self.contains(Skill::Inspect) || self.contains(Skill::Triage) {
            scopes.push("alerts:read");
        }
        if !read_only {
            if self.contains(Skill::Triage) || self.contains(Skill::Seer) {
                scopes.push("event:write");
            }
            if self.contains(Skill::ProjectManagement) {
                scopes.extend(["project:write", "team:write", "alerts:write"]);
            }
        }
        scopes.join(" ")
    }

    pub(crate) fn with(self, skill: Skill) -> Self {
        Self(self.0 | skill.bit())
    }

    pub(crate) fn without(self, skill: Skill) -> Self {
        Self(self.0 & !skill.bit())
    }

    pub(crate) fn contains(self, skill: Skill) -> bool {
        self.0 & skill.bit() != 0
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parse a comma-separated list such as `inspect,triage`.
    pub(crate) fn parse_list(list: &str) -> Result<Self, UnknownSkill> {
        list.split(',').map(str::trim).filter(|s| !s.is_empty()).try_fold(
            Self::none(),
            |set, name| {
                Skill::parse(name)
                    .map(|k| set.with(k))
                    .ok_or_else(|| UnknownSkill(name.chars().take(40).collect()))
            },
        )
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Skill> {
        Skill::ALL.into_iter().filter(move |k| self.contains(*k))
    }

    /// The skills a connection gets from its options, applied in order to the full set:
    /// `skills` replaces the set, `disable-skills` removes from it, other keys are ignored (they
    /// are the `?skills=`/`?disable-skills=` query of HTTP and the flags of the stdio binary).
    pub(crate) fn choose<'a>(
        options: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, SkillChoiceError> {
        let mut skills = SkillSet::all();
        for (key, value) in options {
            match key {
                "skills" => skills = SkillSet::parse_list(value)?,
                "disable-skills" => {
                    skills = SkillSet::parse_list(value)?.iter().fold(skills, SkillSet::without);
                }
                _ => {}
            }
        }
        if skills.is_empty() {
            return Err(SkillChoiceError::NoneLeft);
        }
        Ok(skills)
    }
}

/// Whether a connection's options (`?agent=off` on the `/mcp` URL) opt it out of the embedded
/// agent: `off` (or `false`, `no`, `0`) does, `on` (`true`, `yes`, `1`) or no option leaves it
/// to the server; anything else is refused so a typo never silently keeps the agent.
pub(crate) fn agent_opt_out<'a>(
    options: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<bool, String> {
    let mut off = false;
    for (key, value) in options {
        if key != "agent" {
            continue;
        }
        off = match value.trim().to_ascii_lowercase().as_str() {
            "off" | "false" | "no" | "0" => true,
            "on" | "true" | "yes" | "1" => false,
            _ => {
                return Err(format!(
                    "agent must be 'off' (no embedded agent for this connection) or 'on', got '{}'",
                    value.chars().take(20).collect::<String>()
                ))
            }
        };
    }
    Ok(off)
}

/// Serialised as the list of skill ids, in catalogue order (`["inspect","triage"]`): the shape
/// OAuth records, the upstream `state` and the preference cookie have always stored.
impl serde::Serialize for SkillSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(Skill::id))
    }
}

/// The list of skill ids. An id this version does not know is refused, not dropped: a stored
/// grant never silently loses (or changes) what the user consented to.
impl<'de> serde::Deserialize<'de> for SkillSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let ids = Vec::<String>::deserialize(deserializer)?;
        ids.iter().try_fold(SkillSet::none(), |set, id| {
            Skill::parse(id).map(|k| set.with(k)).ok_or_else(|| {
                serde::de::Error::custom(UnknownSkill(id.chars().take(40).collect()))
            })
        })
    }
}

/// The org and project a connection is limited to (`/mcp/{org}/{project}`, or the stdio flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Constraints {
    pub organization: Option<String>,
    pub project: Option<String>,
}

/// Why a URL path does not name one of the MCP endpoints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum EndpointPathError {
    /// The path is not `/mcp` or below it.
    #[error("not an MCP endpoint; use /mcp")]
    NotMcp,
    /// More than two segments after `/mcp`.
    #[error("MCP endpoints are /mcp, /mcp/{{organizationSlug}} and /mcp/{{organizationSlug}}/{{projectSlug}}")]
    TooDeep,
    /// A segment is not a valid slug.
    #[error("{}", .0.0)]
    Invalid(#[from] InvalidId),
}

impl Constraints {
    /// The constraints an MCP endpoint path names: `/mcp` (none), `/mcp/{org}` or
    /// `/mcp/{org}/{project}`, segments percent-decoded and validated as slugs.
    pub(crate) fn from_mcp_path(path: &str) -> Result<Self, EndpointPathError> {
        let rest = match path.strip_prefix("/mcp") {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
            _ => return Err(EndpointPathError::NotMcp),
        };
        let segments: Vec<String> = rest
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        if segments.len() > 2 {
            return Err(EndpointPathError::TooDeep);
        }
        Ok(Self::new(segments.first().map(String::as_str), segments.get(1).map(String::as_str))?)
    }

    /// Validated constraints; a project needs its organization.
    pub(crate) fn new(
        organization: Option<&str>,
        project: Option<&str>,
    ) -> Result<Self, InvalidId> {
        if project.is_some() && organization.is_none() {
            return Err(InvalidId(
                "a project constraint needs an organization constraint too".into(),
            ));
        }
        Ok(Self {
            organization: organization.map(|o| ids::slug("organization", o)).transpose()?,
            project: project.map(|p| ids::slug("project", p)).transpose()?,
        })
    }
}

/// How the caller authenticated, which also says how they would change their connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccessMethod {
    /// A Sentry token passed through over HTTP (`Sentry-Bearer`).
    SentryBearer,
    /// The stdio binary's own token (`--access-token` / `SENTRY_ACCESS_TOKEN`).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // the stdio binary's
    AccessToken,
    /// An access token issued by this server's OAuth flow; the upstream token comes from its grant.
    OAuth,
}

impl AccessMethod {
    pub(crate) fn id(self) -> &'static str {
        match self {
            AccessMethod::SentryBearer => "sentry-bearer",
            AccessMethod::AccessToken => "access-token",
            AccessMethod::OAuth => "oauth",
        }
    }

    /// How to ask for a connection with `skill` enabled.
    pub(crate) fn skill_hint(self, skill: Skill) -> String {
        match self {
            AccessMethod::SentryBearer => format!("reconnect with ?skills={skill}"),
            AccessMethod::AccessToken => format!("restart the server with --skills={skill}"),
            AccessMethod::OAuth => {
                format!("authorize again and tick the '{skill}' skill on the consent page")
            }
        }
    }

    /// How to reach an organization outside this connection's constraint.
    /// How a connection of this kind gets a Sentry token with `scope`, for a tool of `skill`.
    pub(crate) fn scope_hint(self, scope: &str, skill: Skill) -> String {
        match self {
            AccessMethod::SentryBearer | AccessMethod::AccessToken => format!(
                "create a Sentry user auth token with the `{scope}` scope (Sentry → Settings → Personal Tokens) and {}",
                if self == AccessMethod::SentryBearer { "send it instead of this one" } else { "restart the server with it" }
            ),
            AccessMethod::OAuth => format!(
                "authorize this server again: on the consent page leave read-only access unticked and tick the '{skill}' skill, so the new sign-in asks Sentry for `{scope}`"
            ),
        }
    }

    pub(crate) fn org_hint(self, org: &str) -> String {
        match self {
            AccessMethod::SentryBearer => format!("Connect to /mcp/{org} (or /mcp)"),
            AccessMethod::AccessToken => {
                format!("Start the server with --organization-slug={org} (or without it)")
            }
            AccessMethod::OAuth => {
                format!("Connect to /mcp/{org} (or /mcp) and authorize that URL")
            }
        }
    }
}

/// Everything a tool call may rely on about its caller.
pub(crate) struct Session {
    /// The Sentry token used for upstream calls. Never logged or echoed.
    pub upstream_token: String,
    pub access: AccessMethod,
    pub skills: SkillSet,
    pub constraints: Constraints,
    /// The connection opted out of the embedded agent (`?agent=off`, `--no-agent`).
    pub agent_off: bool,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("upstream_token", &"[redacted]")
            .field("access", &self.access)
            .field("skills", &self.skills)
            .field("constraints", &self.constraints)
            .field("agent_off", &self.agent_off)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_opts_out_of_the_agent_by_name() {
        assert_eq!(agent_opt_out([]), Ok(false));
        assert_eq!(agent_opt_out([("skills", "inspect")]), Ok(false));
        for off in ["off", "OFF", "false", "no", "0"] {
            assert_eq!(agent_opt_out([("agent", off)]), Ok(true), "{off}");
        }
        assert_eq!(agent_opt_out([("agent", "off"), ("agent", "on")]), Ok(false), "the last wins");
        let err = agent_opt_out([("agent", "disabled-please-and-more-text")]).unwrap_err();
        assert!(err.contains("'off'") && !err.contains("more-text"), "{err}");
    }

    #[test]
    fn upstream_scopes_follow_the_skills() {
        let inspect = SkillSet::none().with(Skill::Inspect);
        assert_eq!(
            inspect.upstream_scopes(true),
            "org:read project:read team:read event:read alerts:read"
        );
        assert_eq!(
            inspect.upstream_scopes(false),
            inspect.upstream_scopes(true),
            "inspect never writes"
        );
        let seer = SkillSet::none().with(Skill::Seer);
        assert_eq!(
            seer.upstream_scopes(false),
            "org:read project:read team:read event:read event:write"
        );
        let all = SkillSet::all().upstream_scopes(false);
        assert!(all.ends_with("event:write project:write team:write alerts:write"), "{all}");
        assert!(!SkillSet::all().upstream_scopes(true).contains(":write"));
        assert!(
            SkillSet::defaults().contains(Skill::Inspect)
                && SkillSet::defaults().contains(Skill::Seer)
        );
    }

    #[test]
    fn skill_lists() {
        let s = SkillSet::parse_list("inspect, TRIAGE,").unwrap();
        assert!(
            s.contains(Skill::Inspect) && s.contains(Skill::Triage) && !s.contains(Skill::Seer)
        );
        assert_eq!(SkillSet::parse_list("inspect,docs").unwrap_err().0, "docs");
        assert_eq!(SkillSet::all().iter().count(), 4);
    }

    #[test]
    fn skill_sets_serialise_as_id_lists_and_refuse_unknown_ids() {
        let set = SkillSet::none().with(Skill::ProjectManagement).with(Skill::Inspect);
        assert_eq!(serde_json::to_string(&set).unwrap(), r#"["inspect","project-management"]"#);
        let back: SkillSet = serde_json::from_str(r#"["project-management","inspect"]"#).unwrap();
        assert_eq!(back, set);
        let err = serde_json::from_str::<SkillSet>(r#"["inspect","telepathy"]"#).unwrap_err();
        assert!(err.to_string().contains("unknown skill 'telepathy'"), "{err}");
        assert_eq!(serde_json::from_str::<SkillSet>("[]").unwrap(), SkillSet::none());
    }

    #[test]
    fn skill_choice_applies_options_in_order() {
        let all = SkillSet::all();
        assert_eq!(SkillSet::choose([]).unwrap(), all);
        assert_eq!(
            SkillSet::choose([("skills", "inspect")]).unwrap(),
            SkillSet::none().with(Skill::Inspect)
        );
        assert_eq!(
            SkillSet::choose([("disable-skills", "seer"), ("other", "x")]).unwrap(),
            all.without(Skill::Seer)
        );
        assert_eq!(
            SkillSet::choose([("disable-skills", "seer"), ("skills", "seer")]).unwrap(),
            SkillSet::none().with(Skill::Seer)
        );
        assert_eq!(
            SkillSet::choose([("skills", "seer"), ("disable-skills", "seer")]),
            Err(SkillChoiceError::NoneLeft)
        );
        assert!(matches!(
            SkillSet::choose([("skills", "docs")]),
            Err(SkillChoiceError::Unknown(_))
        ));
    }

    #[test]
    fn constraints_are_validated_slugs() {
        let c = Constraints::new(Some("acme"), Some("web")).unwrap();
        assert_eq!((c.organization.as_deref(), c.project.as_deref()), (Some("acme"), Some("web")));
        assert!(Constraints::new(None, Some("web")).is_err());
        assert!(Constraints::new(Some("../etc"), None).is_err());
        assert_eq!(Constraints::new(None, None).unwrap(), Constraints::default());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let s = Session {
            upstream_token: "sntryu_secret".into(),
            access: AccessMethod::SentryBearer,
            skills: SkillSet::all(),
            constraints: Constraints::default(),
            agent_off: false,
        };
        assert!(!format!("{s:?}").contains("sntryu_secret"));
    }
}
