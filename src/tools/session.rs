//! Who is calling and what they may do: the upstream token, the granted skills and the URL
//! constraints (`/mcp/{org}/{project}`). Built by the HTTP layer for every request.

use std::fmt;

/// A group of tools a user can grant or withhold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Skill {
    Inspect,
    Triage,
    Seer,
    ProjectManagement,
}

impl Skill {
    pub const ALL: [Skill; 4] = [Skill::Inspect, Skill::Triage, Skill::Seer, Skill::ProjectManagement];

    pub fn id(self) -> &'static str {
        match self {
            Skill::Inspect => "inspect",
            Skill::Triage => "triage",
            Skill::Seer => "seer",
            Skill::ProjectManagement => "project-management",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.id().eq_ignore_ascii_case(s.trim()))
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
pub struct SkillSet(u8);

/// A `?skills=` / `?disable-skills=` value that names no known skill.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown skill '{0}'; known skills are inspect, triage, seer, project-management")]
pub struct UnknownSkill(pub String);

impl SkillSet {
    pub fn all() -> Self {
        Skill::ALL.iter().fold(Self(0), |s, k| s.with(*k))
    }

    pub fn none() -> Self {
        Self(0)
    }

    pub fn with(self, skill: Skill) -> Self {
        Self(self.0 | skill.bit())
    }

    pub fn without(self, skill: Skill) -> Self {
        Self(self.0 & !skill.bit())
    }

    pub fn contains(self, skill: Skill) -> bool {
        self.0 & skill.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parse a comma-separated list such as `inspect,triage`.
    pub fn parse_list(list: &str) -> Result<Self, UnknownSkill> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .try_fold(Self::none(), |set, name| Skill::parse(name).map(|k| set.with(k)).ok_or_else(|| UnknownSkill(name.chars().take(40).collect())))
    }

    pub fn iter(self) -> impl Iterator<Item = Skill> {
        Skill::ALL.into_iter().filter(move |k| self.contains(*k))
    }
}

/// The org and project fixed by the URL the client connected to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    pub organization: Option<String>,
    pub project: Option<String>,
}

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessMethod {
    /// A Sentry token passed through (`Sentry-Bearer`).
    SentryBearer,
    /// An access token issued by this server's OAuth flow; the upstream token comes from its grant.
    OAuth,
}

impl AccessMethod {
    pub fn id(self) -> &'static str {
        match self {
            AccessMethod::SentryBearer => "sentry-bearer",
            AccessMethod::OAuth => "oauth",
        }
    }
}

/// Everything a tool call may rely on about its caller.
pub struct Session {
    /// The Sentry token used for upstream calls. Never logged or echoed.
    pub upstream_token: String,
    pub access: AccessMethod,
    pub skills: SkillSet,
    pub constraints: Constraints,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("upstream_token", &"[redacted]")
            .field("access", &self.access)
            .field("skills", &self.skills)
            .field("constraints", &self.constraints)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skill_lists() {
        let s = SkillSet::parse_list("inspect, TRIAGE,").unwrap();
        assert!(s.contains(Skill::Inspect) && s.contains(Skill::Triage) && !s.contains(Skill::Seer));
        assert_eq!(SkillSet::parse_list("inspect,docs").unwrap_err().0, "docs");
        assert_eq!(SkillSet::all().iter().count(), 4);
    }

    #[test]
    fn debug_never_shows_the_token() {
        let s = Session { upstream_token: "sntryu_secret".into(), access: AccessMethod::SentryBearer, skills: SkillSet::all(), constraints: Constraints::default() };
        assert!(!format!("{s:?}").contains("sntryu_secret"));
    }
}
