//! Consent cookies: which clients this browser approved, and the skills it chose for each.
//!
//! `__Host-` prefix (so `Secure`, `Path=/`, no `Domain`), `HttpOnly`, `SameSite=Lax`, 30 days,
//! HMAC-signed with a purpose-bound key, and holding client ids. A tampered, expired or foreign
//! cookie reads as empty: the flow asks again, it never trusts it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{signed, Ctx};
use crate::platform::http::Headers;
use crate::session::SkillSet;

pub(crate) const APPROVED: &str = "__Host-smcp-approved";
pub(crate) const PREFERENCES: &str = "__Host-smcp-skills";
pub(crate) const CSRF: &str = "__Host-smcp-csrf";
/// The nonce of the sign-in this browser approved: the callback accepts only its own flow's
/// `state`, so a `state` minted in another browser cannot complete here.
pub(crate) const FLOW: &str = "__Host-smcp-flow";
pub(crate) const MAX_AGE_SECS: u64 = 30 * 24 * 3_600;
const MAX_CLIENTS: usize = 20;

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn read<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .get_all("cookie")
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value with the attributes every cookie of ours carries.
pub(crate) fn set(name: &str, value: &str, max_age_secs: u64) -> String {
    format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}")
}

/// The skills (and read-only choice) remembered for one client.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Preference {
    pub client_id: String,
    /// The skill ids (a cookie naming an unknown one reads as empty).
    pub skills: SkillSet,
    pub read_only: bool,
}

/// Client ids this browser approved (newest last).
pub(crate) fn approved_clients(ctx: &Ctx<'_>, headers: &Headers) -> Vec<String> {
    read(headers, APPROVED)
        .and_then(|v| signed::verify(&ctx.key("cookie-approved"), APPROVED, v, ctx.now()).ok())
        .unwrap_or_default()
}

/// `Set-Cookie` for the approved list with `client_id` added.
pub(crate) fn approve(ctx: &Ctx<'_>, headers: &Headers, client_id: &str) -> String {
    let mut list = approved_clients(ctx, headers);
    list.retain(|c| c != client_id);
    list.push(client_id.to_string());
    let excess = list.len().saturating_sub(MAX_CLIENTS);
    list.drain(..excess);
    let value = signed::sign(
        &ctx.key("cookie-approved"),
        APPROVED,
        &list,
        ctx.now().plus(Duration::from_secs(MAX_AGE_SECS)),
    );
    set(APPROVED, &value, MAX_AGE_SECS)
}

fn preferences(ctx: &Ctx<'_>, headers: &Headers) -> Vec<Preference> {
    read(headers, PREFERENCES)
        .and_then(|v| signed::verify(&ctx.key("cookie-skills"), PREFERENCES, v, ctx.now()).ok())
        .unwrap_or_default()
}

/// The remembered choice for `client_id`, if any.
pub(crate) fn preference(
    ctx: &Ctx<'_>,
    headers: &Headers,
    client_id: &str,
) -> Option<(SkillSet, bool)> {
    preferences(ctx, headers)
        .into_iter()
        .find(|p| p.client_id == client_id)
        .map(|p| (p.skills, p.read_only))
}

/// `Set-Cookie` remembering `skills` and `read_only` for `client_id`.
pub(crate) fn remember(
    ctx: &Ctx<'_>,
    headers: &Headers,
    client_id: &str,
    skills: SkillSet,
    read_only: bool,
) -> String {
    let mut list = preferences(ctx, headers);
    list.retain(|p| p.client_id != client_id);
    list.push(Preference { client_id: client_id.to_string(), skills, read_only });
    let excess = list.len().saturating_sub(MAX_CLIENTS);
    list.drain(..excess);
    let value = signed::sign(
        &ctx.key("cookie-skills"),
        PREFERENCES,
        &list,
        ctx.now().plus(Duration::from_secs(MAX_AGE_SECS)),
    );
    set(PREFERENCES, &value, MAX_AGE_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::testing::Fixture;
    use crate::session::Skill;

    #[test]
    fn signed_cookies_round_trip_and_refuse_tampering() {
        let fixture = Fixture::new();
        let ctx = fixture.ctx();
        let set_cookie = approve(&ctx, &Headers::new(), "client-a");
        assert!(
            set_cookie.starts_with("__Host-smcp-approved=")
                && set_cookie.contains("Secure; HttpOnly; SameSite=Lax; Max-Age=2592000")
                && set_cookie.contains("Path=/")
        );
        let value = set_cookie.split(';').next().unwrap();
        let h = Headers::new().with("cookie", format!("other=1; {value}"));
        assert_eq!(approved_clients(&ctx, &h), ["client-a"]);
        let tampered = Headers::new().with("cookie", value.replace("ey", "eY"));
        assert!(approved_clients(&ctx, &tampered).is_empty());
        // A preferences cookie presented as the approval cookie is foreign: purpose-bound keys.
        let prefs =
            remember(&ctx, &Headers::new(), "client-a", SkillSet::none().with(Skill::Triage), true);
        let swapped = prefs.split(';').next().unwrap().replace(PREFERENCES, APPROVED);
        assert!(approved_clients(&ctx, &Headers::new().with("cookie", swapped)).is_empty());
        let ph = Headers::new().with("cookie", prefs.split(';').next().unwrap().to_string());
        assert_eq!(
            preference(&ctx, &ph, "client-a"),
            Some((SkillSet::none().with(Skill::Triage), true))
        );
        assert_eq!(preference(&ctx, &ph, "client-b"), None);
        fixture.platform.advance_secs(MAX_AGE_SECS + 1);
        assert!(approved_clients(&ctx, &h).is_empty(), "expired cookies are ignored");
    }
}
