//! The connection builder's model: what a visitor chose (organization, project, skills, how they
//! sign in, whether the embedded agent is off for the connection) and the exact MCP endpoint URL
//! those choices make.
//!
//! The choices arrive as the landing page's query string (`/?org=acme&project=web&skills=inspect`),
//! so the builder works as a plain form without JavaScript and every page state has a link. They
//! are validated with the same rules the endpoint applies (`session::Constraints::new`,
//! `SkillSet::parse_list`), so the page never shows a URL the server would refuse; a bad value is
//! explained and left out of the URL.

use std::fmt::Write as _;

use crate::session::{Constraints, Skill, SkillSet};

/// How the client will authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The client signs in with Sentry through this server's OAuth (the default).
    OAuth,
    /// The client sends the user's own Sentry token in a header.
    Token,
}

/// The builder's choices, validated.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    /// `https://host[:port]` the page was served from.
    pub origin: String,
    pub organization: Option<String>,
    pub project: Option<String>,
    pub skills: SkillSet,
    pub access: Access,
    /// No embedded agent for this connection (`?agent=off`, `--no-agent`).
    pub agent_off: bool,
    /// Why a choice was left out, in words for the visitor.
    pub problems: Vec<String>,
}

impl Connection {
    /// Read the choices from the page's query pairs (`org`, `project`, `skill` repeated or
    /// `skills=a,b`, `access=token`, `agent=off`); unknown keys are ignored.
    pub(crate) fn from_query<'a>(
        origin: &str,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let mut org = None;
        let mut project = None;
        let mut skills: Option<SkillSet> = None;
        let mut access = Access::OAuth;
        let mut agent_off = false;
        let mut problems = Vec::new();
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "org" if !value.is_empty() => org = Some(value.to_string()),
                "project" if !value.is_empty() => project = Some(value.to_string()),
                "skill" | "skills" => match SkillSet::parse_list(value) {
                    Ok(s) => {
                        skills = Some(skills.unwrap_or_default().iter().fold(s, SkillSet::with));
                    }
                    Err(e) => problems.push(format!("Skills: {e}.")),
                },
                "access" => access = if value == "token" { Access::Token } else { Access::OAuth },
                "agent" => agent_off = value == "off",
                _ => {}
            }
        }
        let (organization, project) = match Constraints::new(org.as_deref(), project.as_deref()) {
            Ok(c) => (c.organization, c.project),
            Err(e) => {
                problems.push(format!("{}; it is left out of the URL.", capitalised(&e.0)));
                // Keep the organization when only the project was wrong.
                let org = Constraints::new(org.as_deref(), None).ok().and_then(|c| c.organization);
                (org, None)
            }
        };
        let skills = match skills {
            Some(s) if s.is_empty() => {
                problems.push("Choose at least one skill; all skills are shown meanwhile.".into());
                SkillSet::all()
            }
            Some(s) => s,
            None => SkillSet::all(),
        };
        Self {
            origin: origin.to_string(),
            organization,
            project,
            skills,
            access,
            agent_off,
            problems,
        }
    }

    /// The MCP endpoint: `{origin}/mcp[/{org}[/{project}]]`, with `?skills=` when a token
    /// connection narrows the skills (an OAuth connection chooses them on the consent page,
    /// and the endpoint ignores the parameter for it), and `agent=off` when chosen.
    pub(crate) fn endpoint(&self) -> String {
        let mut url = format!("{}/mcp", self.origin);
        for segment in [&self.organization, &self.project].into_iter().flatten() {
            let _ = write!(url, "/{segment}");
        }
        let mut params = Vec::new();
        if let Some(skills) = self.skills_param() {
            params.push(format!("skills={skills}"));
        }
        if self.agent_off {
            params.push("agent=off".to_string());
        }
        if !params.is_empty() {
            let _ = write!(url, "?{}", params.join("&"));
        }
        url
    }

    /// `inspect,triage` when the connection narrows the skills (token access only).
    pub(crate) fn skills_param(&self) -> Option<String> {
        (self.access == Access::Token && self.skills != SkillSet::all())
            .then(|| self.skills.iter().map(Skill::id).collect::<Vec<_>>().join(","))
    }

    /// The stdio binary's flags for the same choices.
    pub(crate) fn stdio_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(org) = &self.organization {
            args.push(format!("--organization-slug={org}"));
        }
        if let Some(project) = &self.project {
            args.push(format!("--project-slug={project}"));
        }
        if self.skills != SkillSet::all() {
            let ids: Vec<&str> = self.skills.iter().map(Skill::id).collect();
            args.push(format!("--skills={}", ids.join(",")));
        }
        if self.agent_off {
            args.push("--no-agent".into());
        }
        args
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(query: &str) -> Connection {
        let url = url::Url::parse(&format!("https://mcp.example.com/?{query}")).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        Connection::from_query(
            "https://mcp.example.com",
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
    }

    #[test]
    fn choices_make_the_endpoint() {
        assert_eq!(build("").endpoint(), "https://mcp.example.com/mcp");
        assert_eq!(
            build("org=acme&project=web").endpoint(),
            "https://mcp.example.com/mcp/acme/web"
        );
        let oauth = build("org=acme&skill=inspect&skill=triage");
        assert_eq!(
            oauth.endpoint(),
            "https://mcp.example.com/mcp/acme",
            "OAuth: skills at consent"
        );
        let token = build("org=acme&skill=inspect&skill=triage&access=token");
        assert_eq!(token.endpoint(), "https://mcp.example.com/mcp/acme?skills=inspect,triage");
        assert_eq!(
            token.stdio_args(),
            ["--organization-slug=acme", "--skills=inspect,triage"].map(String::from)
        );
        assert_eq!(
            build("skills=inspect,seer,triage,project-management&access=token").endpoint(),
            "https://mcp.example.com/mcp",
            "every skill needs no parameter"
        );
    }

    #[test]
    fn the_agent_can_be_turned_off_for_the_connection() {
        assert!(!build("").agent_off && !build("agent=on").agent_off);
        let c = build("org=acme&agent=off");
        assert_eq!(c.endpoint(), "https://mcp.example.com/mcp/acme?agent=off");
        assert_eq!(c.stdio_args(), ["--organization-slug=acme", "--no-agent"].map(String::from));
        let token = build("skill=inspect&access=token&agent=off");
        assert_eq!(token.endpoint(), "https://mcp.example.com/mcp?skills=inspect&agent=off");
    }

    #[test]
    fn bad_choices_are_explained_and_left_out() {
        let c = build("org=acme&project=../admin");
        assert_eq!(c.endpoint(), "https://mcp.example.com/mcp/acme");
        assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
        let c = build("project=web");
        assert_eq!(c.endpoint(), "https://mcp.example.com/mcp");
        assert!(c.problems[0].contains("organization"), "{:?}", c.problems);
        let c = build("org=%3Cscript%3E&skills=nope&access=token");
        assert_eq!(c.endpoint(), "https://mcp.example.com/mcp");
        assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
    }
}
