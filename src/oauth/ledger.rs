//! The single-use rules of a grant, as a plain state machine: what may be redeemed, rotated or
//! revoked, decided on the grant as it is *now*, in one step.
//!
//! The token endpoint prepares its answer first (checks the client, PKCE and scope on a copy of
//! the grant, mints the new tokens and writes the new access-token record), then asks for a
//! [`Verdict`] on a [`Command`]. [`apply`] runs where the grant is kept: in the Worker, inside the
//! grant's Durable Object (`edge::guard`), which runs one command at a time, so two requests can
//! never both win; elsewhere (unit tests, a worker without the Durable Object binding) as a
//! read-modify-write over [`Store`] ([`apply_over_store`]), which is not atomic across locations.
//!
//! The rules:
//! - **Codes** redeem once. Presenting a redeemed code revokes the grant (RFC 6749 §4.1.2), so the
//!   loser of two concurrent redemptions revokes what the winner got.
//! - **Refresh tokens** rotate. The token just rotated out is honoured for
//!   [`records::REFRESH_GRACE_SECS`] as a *retry*: it gets the very answer the rotation gave
//!   (the same new pair, sealed for the presented token), never a second pair, and only for the
//!   same requested scope. Any other use of a rotated-out token is reuse (RFC 9700 §4.14.2) and
//!   revokes the grant: after the window, with another scope, or a token two or more generations
//!   old (the hashes of [`records::MAX_RETIRED_REFRESH`] older generations are kept). A request
//!   that read the grant while its token was still current but lost the race to another rotation
//!   is refused (`Concurrent`) without revoking: exactly one rotation wins.
//! - **Revocation** leaves a tombstone: the record keeps no token material and every later
//!   command is refused, so no request in flight can bring the grant back.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::records::{self, AccessRef, GrantRecord, RefreshSlot, SecretHash, UnixMillis};
use super::{Store, StoreError};
use crate::session::SkillSet;

/// The tokens a command wants to make live.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Issue {
    /// The new current refresh token.
    pub refresh: RefreshSlot,
    /// The new access token (its record is already written; a refused command deletes it).
    pub access: AccessRef,
}

/// What a request asks of a grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Command {
    /// Store a new grant (at the callback). Never overwrites.
    Create(Box<GrantRecord>),
    /// The grant as it is now (`None` when unknown or revoked).
    Load,
    /// Redeem the grant's code.
    RedeemCode { code: SecretHash, issue: Issue },
    /// Use a refresh token. `issue` is present when the caller saw the token as current and
    /// prepared a rotation; `retry_answer` is that rotation's answer sealed for the presented
    /// token, kept for a retry; `upstream` the resealed Sentry tokens if they were renewed.
    Refresh {
        presented: SecretHash,
        scope: SkillSet,
        issue: Option<Issue>,
        retry_answer: Option<String>,
        upstream: Option<String>,
    },
    /// Revoke the grant; with `only_if_current`, only while that refresh token is the current one
    /// (a refusal from Sentry seen by a request that has meanwhile lost a race changes nothing).
    Revoke { only_if_current: Option<SecretHash> },
}

/// Why nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Refusal {
    /// Unknown, expired or revoked grant, or a token it never issued.
    Unknown,
    /// The code expired.
    CodeExpired,
    /// Another request rotated this refresh token first.
    Concurrent,
}

/// Why a command revoked the grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum RevokeReason {
    CodeReplayed,
    RefreshReused,
    Requested,
}

/// The outcome of a [`Command`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Verdict {
    Loaded(Option<Box<GrantRecord>>),
    Created(bool),
    /// The command's tokens are live. `dropped` access tokens are dead (the Sentry token behind
    /// them was renewed): delete their records.
    Issued {
        dropped: Vec<AccessRef>,
    },
    /// A retry inside the grace window: the answer the rotation gave, sealed for the token.
    Retry {
        answer: String,
    },
    Refused(Refusal),
    /// This command revoked the grant: delete these access-token records.
    Revoked {
        reason: RevokeReason,
        access: Vec<AccessRef>,
    },
    /// The stored record does not parse (written by a future version, or naming a skill this
    /// version does not know): nothing was applied and the grant reads as unknown. `problem` is
    /// the kind of parse error, for the log line.
    Unreadable {
        problem: String,
    },
}

/// Apply `cmd` to `grant` (the stored record, `None` when there is none) at `now`.
pub(crate) fn apply(grant: &mut Option<GrantRecord>, cmd: Command, now: UnixMillis) -> Verdict {
    if let Command::Create(new) = cmd {
        if grant.is_some() {
            return Verdict::Created(false);
        }
        *grant = Some(*new);
        return Verdict::Created(true);
    }
    let Some(g) = grant.as_mut().filter(|g| g.revoked_at_ms.is_none()) else {
        return match cmd {
            Command::Load => Verdict::Loaded(None),
            _ => Verdict::Refused(Refusal::Unknown),
        };
    };
    match cmd {
        Command::Create(_) => unreachable!("handled above"),
        Command::Load => Verdict::Loaded(Some(Box::new(g.clone()))),
        Command::RedeemCode { code, issue } => redeem(g, &code, issue, now),
        Command::Refresh { presented, scope, issue, retry_answer, upstream } => {
            refresh(g, &presented, scope, issue, retry_answer, upstream, now)
        }
        Command::Revoke { only_if_current } => {
            let current = g.refresh.as_ref().map(|s| &s.hash);
            match only_if_current {
                Some(h) if !current.is_some_and(|c| c.matches(&h)) => {
                    Verdict::Refused(Refusal::Concurrent)
                }
                _ => revoke(g, RevokeReason::Requested, now),
            }
        }
    }
}

fn redeem(g: &mut GrantRecord, code: &SecretHash, issue: Issue, now: UnixMillis) -> Verdict {
    let Some(slot) = g.code.as_mut().filter(|s| s.hash.matches(code)) else {
        return Verdict::Refused(Refusal::Unknown);
    };
    if slot.redeemed {
        return revoke(g, RevokeReason::CodeReplayed, now);
    }
    if slot.expires_at_ms.is_past(now) {
        return Verdict::Refused(Refusal::CodeExpired);
    }
    slot.redeemed = true;
    slot.wrapped_key = None;
    let dropped = make_live(g, issue, now);
    Verdict::Issued { dropped }
}

fn refresh(
    g: &mut GrantRecord,
    presented: &SecretHash,
    scope: SkillSet,
    issue: Option<Issue>,
    retry_answer: Option<String>,
    upstream: Option<String>,
    now: UnixMillis,
) -> Verdict {
    if g.expires_at_ms.is_past(now) {
        return Verdict::Refused(Refusal::Unknown);
    }
    let is = |slot: &Option<RefreshSlot>| slot.as_ref().is_some_and(|s| s.hash.matches(presented));
    if is(&g.refresh) {
        let Some(issue) = issue else { return Verdict::Refused(Refusal::Unknown) };
        let rotated = g.refresh.take().expect("matched");
        if let Some(older) = g.previous_refresh.take() {
            g.retired_refresh.push(older.hash);
            let excess = g.retired_refresh.len().saturating_sub(records::MAX_RETIRED_REFRESH);
            g.retired_refresh.drain(..excess);
        }
        g.previous_refresh =
            Some(RefreshSlot { at_ms: now, answer: retry_answer, scope: Some(scope), ..rotated });
        let mut dropped = match upstream {
            Some(sealed) => {
                g.upstream = sealed;
                std::mem::take(&mut g.access)
            }
            None => Vec::new(),
        };
        dropped.extend(make_live(g, issue, now));
        return Verdict::Issued { dropped };
    }
    if is(&g.previous_refresh) {
        if issue.is_some() {
            // The caller read the grant while this token was current: it lost the race.
            return Verdict::Refused(Refusal::Concurrent);
        }
        let prev = g.previous_refresh.as_ref().expect("matched");
        let in_window = now.since(prev.at_ms) <= Duration::from_secs(records::REFRESH_GRACE_SECS);
        // A rotation written before retries were kept has no scope and no answer to give again.
        let same_scope = prev.scope.is_none_or(|s| s == scope);
        if !(in_window && same_scope) {
            return revoke(g, RevokeReason::RefreshReused, now);
        }
        return match &prev.answer {
            Some(answer) => Verdict::Retry { answer: answer.clone() },
            None => Verdict::Refused(Refusal::Unknown),
        };
    }
    if g.retired_refresh.iter().any(|h| h.matches(presented)) {
        if issue.is_some() {
            // Current when the caller read the grant, rotated twice since: a lost race too.
            return Verdict::Refused(Refusal::Concurrent);
        }
        return revoke(g, RevokeReason::RefreshReused, now);
    }
    Verdict::Refused(Refusal::Unknown)
}

/// Make `issue`'s tokens the grant's live ones (the grant lives 30 days from its last use) and
/// return the access tokens beyond [`records::MAX_LIVE_ACCESS_TOKENS`], oldest first, to delete.
fn make_live(g: &mut GrantRecord, issue: Issue, now: UnixMillis) -> Vec<AccessRef> {
    g.refresh = Some(issue.refresh);
    g.access.retain(|a| !a.expires_at_ms.is_past(now));
    g.access.push(issue.access);
    g.expires_at_ms = now.plus(Duration::from_secs(records::GRANT_TTL_SECS));
    let excess = g.access.len().saturating_sub(records::MAX_LIVE_ACCESS_TOKENS);
    g.access.drain(..excess).collect()
}

/// Turn the grant into a tombstone and hand back its access tokens to delete.
fn revoke(g: &mut GrantRecord, reason: RevokeReason, now: UnixMillis) -> Verdict {
    let access = std::mem::take(&mut g.access);
    g.revoked_at_ms = Some(now);
    g.upstream = String::new();
    g.code = None;
    g.refresh = None;
    g.previous_refresh = None;
    g.retired_refresh.clear();
    Verdict::Revoked { reason, access }
}

/// How long storage keeps a grant record: a pending code's life until it is redeemed, then the
/// grant's (a tombstone as long as any token of the grant could still be presented).
pub(crate) fn retention_secs(g: &GrantRecord, now: UnixMillis) -> u64 {
    match &g.code {
        Some(c) if !c.redeemed && g.revoked_at_ms.is_none() => records::CODE_TTL_SECS,
        _ if g.revoked_at_ms.is_some() => records::GRANT_TTL_SECS,
        _ => g.expires_at_ms.until(now).as_secs().max(1),
    }
}

/// A command applied to a stored record: the verdict and what to write back (the record and how
/// long to keep it), if anything changed.
pub(crate) struct Applied {
    pub verdict: Verdict,
    pub write: Option<(String, u64)>,
}

/// [`apply`] to a record as stored (JSON, or nothing): shared by the Durable Object and the
/// fallback over [`Store`], so both keep it byte for byte the same way.
pub(crate) fn apply_stored(raw: Option<&str>, cmd: Command, now: UnixMillis) -> Applied {
    let mut grant = match raw.map(serde_json::from_str::<GrantRecord>) {
        None => None,
        Some(Ok(g)) => Some(g),
        Some(Err(e)) => {
            let problem = super::parse_problem(&e).to_string();
            return Applied { verdict: Verdict::Unreadable { problem }, write: None };
        }
    };
    let verdict = apply(&mut grant, cmd, now);
    let write = grant.and_then(|g| {
        let after = serde_json::to_string(&g).expect("records serialise");
        (raw != Some(after.as_str())).then(|| (after, retention_secs(&g, now)))
    });
    Applied { verdict, write }
}

/// [`apply`] as a read-modify-write of the `grant:{id}` record in `store`: the fallback where no
/// Durable Object decides (not atomic across locations; `docs/oauth.md`, "Consistency").
pub(crate) async fn apply_over_store<S: Store + ?Sized>(
    store: &S,
    grant_id: &str,
    now: UnixMillis,
    cmd: Command,
) -> Result<Verdict, StoreError> {
    let key = records::grant_key(grant_id);
    let before = store.get(&key).await?;
    let applied = apply_stored(before.as_deref(), cmd, now);
    if let Some((record, ttl)) = &applied.write {
        store.put(&key, record, *ttl).await?;
    }
    Ok(applied.verdict)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::records::{Audience, CodeChallenge, CodeSlot, RedirectUri};

    const T0: UnixMillis = UnixMillis(1_700_000_000_000);

    fn hash(s: &str) -> SecretHash {
        SecretHash::of(s)
    }

    fn slot(token: &str, at: UnixMillis) -> RefreshSlot {
        RefreshSlot {
            hash: hash(token),
            wrapped_key: format!("wrapped-{token}"),
            at_ms: at,
            answer: None,
            scope: None,
        }
    }

    fn issue(refresh: &str, access: &str, at: UnixMillis) -> Issue {
        Issue {
            refresh: slot(refresh, at),
            access: AccessRef {
                hash: hash(access),
                expires_at_ms: at.plus(Duration::from_secs(3600)),
            },
        }
    }

    fn grant() -> Option<GrantRecord> {
        Some(GrantRecord {
            id: "g".into(),
            client_id: "c".into(),
            user_id: "u".into(),
            audience: Audience::from("https://mcp.example.com/mcp"),
            skills: SkillSet::all(),
            read_only: false,
            created_at_ms: T0,
            expires_at_ms: T0.plus(Duration::from_secs(records::GRANT_TTL_SECS)),
            upstream: "sealed".into(),
            code: Some(CodeSlot {
                hash: hash("code"),
                wrapped_key: Some("w".into()),
                redirect_uri: RedirectUri::from("https://client.example/cb"),
                redirect_uri_given: true,
                code_challenge: CodeChallenge::from("x"),
                expires_at_ms: T0.plus(Duration::from_secs(records::CODE_TTL_SECS)),
                redeemed: false,
            }),
            refresh: None,
            previous_refresh: None,
            retired_refresh: Vec::new(),
            access: Vec::new(),
            revoked_at_ms: None,
        })
    }

    fn redeemed() -> Option<GrantRecord> {
        let mut g = grant();
        let v = apply(
            &mut g,
            Command::RedeemCode { code: hash("code"), issue: issue("rt1", "at1", T0) },
            T0,
        );
        assert!(matches!(v, Verdict::Issued { .. }), "{v:?}");
        g
    }

    fn rotate(g: &mut Option<GrantRecord>, from: &str, to: &str, at: UnixMillis) -> Verdict {
        apply(
            g,
            Command::Refresh {
                presented: hash(from),
                scope: SkillSet::all(),
                issue: Some(issue(to, &format!("at-{to}"), at)),
                retry_answer: Some(format!("answer-{to}")),
                upstream: None,
            },
            at,
        )
    }

    fn retry(g: &mut Option<GrantRecord>, token: &str, scope: SkillSet, at: UnixMillis) -> Verdict {
        apply(
            g,
            Command::Refresh {
                presented: hash(token),
                scope,
                issue: None,
                retry_answer: None,
                upstream: None,
            },
            at,
        )
    }

    fn is_revoked(g: &Option<GrantRecord>) -> bool {
        matches!(apply(&mut g.clone(), Command::Load, T0), Verdict::Loaded(None))
            && g.as_ref().is_some_and(|g| g.upstream.is_empty() && g.access.is_empty())
    }

    #[test]
    fn a_code_redeems_once_and_a_replay_revokes() {
        let mut g = redeemed();
        let again = apply(
            &mut g,
            Command::RedeemCode { code: hash("code"), issue: issue("rt2", "at2", T0) },
            T0,
        );
        let Verdict::Revoked { reason, access } = again else { panic!("{again:?}") };
        assert_eq!(reason, RevokeReason::CodeReplayed);
        assert!(access.iter().any(|a| a.hash.matches(&hash("at1"))), "the winner's token goes");
        assert!(is_revoked(&g));
    }

    #[test]
    fn an_expired_or_foreign_code_changes_nothing() {
        let mut g = grant();
        let late = T0.plus(Duration::from_secs(records::CODE_TTL_SECS));
        let v = apply(
            &mut g,
            Command::RedeemCode { code: hash("code"), issue: issue("r", "a", late) },
            late,
        );
        assert!(matches!(v, Verdict::Refused(Refusal::CodeExpired)));
        let v = apply(
            &mut g,
            Command::RedeemCode { code: hash("other"), issue: issue("r", "a", T0) },
            T0,
        );
        assert!(matches!(v, Verdict::Refused(Refusal::Unknown)));
        assert!(!g.unwrap().code.unwrap().redeemed);
    }

    #[test]
    fn rotation_then_a_grace_retry_gets_the_same_answer() {
        let mut g = redeemed();
        assert!(matches!(rotate(&mut g, "rt1", "rt2", T0), Verdict::Issued { .. }));
        let at = T0.plus(Duration::from_secs(records::REFRESH_GRACE_SECS));
        let Verdict::Retry { answer } = retry(&mut g, "rt1", SkillSet::all(), at) else { panic!() };
        assert_eq!(answer, "answer-rt2");
        // A retry changes nothing: the new token is still current.
        assert!(matches!(rotate(&mut g, "rt2", "rt3", at), Verdict::Issued { .. }));
    }

    #[test]
    fn the_loser_of_a_concurrent_rotation_is_refused_without_revoking() {
        let mut g = redeemed();
        assert!(matches!(rotate(&mut g, "rt1", "rt2", T0), Verdict::Issued { .. }));
        assert!(matches!(rotate(&mut g, "rt1", "rt2b", T0), Verdict::Refused(Refusal::Concurrent)));
        assert!(!is_revoked(&g));
        assert!(matches!(rotate(&mut g, "rt2", "rt3", T0), Verdict::Issued { .. }));
    }

    #[test]
    fn reuse_after_the_window_with_another_scope_or_two_generations_back_revokes() {
        let after = T0.plus(Duration::from_secs(records::REFRESH_GRACE_SECS + 1));
        let mut late = redeemed();
        rotate(&mut late, "rt1", "rt2", T0);
        assert!(matches!(retry(&mut late, "rt1", SkillSet::all(), after), Verdict::Revoked { .. }));
        assert!(is_revoked(&late));

        let mut distinct = redeemed();
        rotate(&mut distinct, "rt1", "rt2", T0);
        let narrower = SkillSet::none().with(crate::session::Skill::Inspect);
        let v = retry(&mut distinct, "rt1", narrower, T0);
        assert!(matches!(v, Verdict::Revoked { reason: RevokeReason::RefreshReused, .. }));

        let mut old = redeemed();
        rotate(&mut old, "rt1", "rt2", T0);
        rotate(&mut old, "rt2", "rt3", T0);
        let Verdict::Revoked { access, .. } = retry(&mut old, "rt1", SkillSet::all(), T0) else {
            panic!()
        };
        assert_eq!(access.len(), 3, "every access token of the grant is handed back");
        assert!(is_revoked(&old));
        assert!(matches!(
            retry(&mut old, "rt3", SkillSet::all(), T0),
            Verdict::Refused(Refusal::Unknown)
        ));
    }

    #[test]
    fn an_unknown_token_of_the_grant_does_not_revoke() {
        let mut g = redeemed();
        assert!(matches!(
            retry(&mut g, "forged", SkillSet::all(), T0),
            Verdict::Refused(Refusal::Unknown)
        ));
        assert!(!is_revoked(&g));
    }

    #[test]
    fn a_tombstone_refuses_everything_and_cannot_be_recreated() {
        let mut g = redeemed();
        assert!(matches!(
            apply(&mut g, Command::Revoke { only_if_current: None }, T0),
            Verdict::Revoked { .. }
        ));
        assert!(matches!(rotate(&mut g, "rt1", "rt2", T0), Verdict::Refused(Refusal::Unknown)));
        assert!(matches!(
            apply(&mut g, Command::Create(Box::new(grant().unwrap())), T0),
            Verdict::Created(false)
        ));
        assert!(is_revoked(&g));
        assert_eq!(retention_secs(g.as_ref().unwrap(), T0), records::GRANT_TTL_SECS);
    }

    #[test]
    fn revoke_only_if_current_spares_a_grant_that_moved_on() {
        let mut g = redeemed();
        rotate(&mut g, "rt1", "rt2", T0);
        let v = apply(&mut g, Command::Revoke { only_if_current: Some(hash("rt1")) }, T0);
        assert!(matches!(v, Verdict::Refused(Refusal::Concurrent)));
        let v = apply(&mut g, Command::Revoke { only_if_current: Some(hash("rt2")) }, T0);
        assert!(matches!(v, Verdict::Revoked { .. }));
    }

    #[test]
    fn renewed_sentry_tokens_drop_the_older_access_tokens() {
        let mut g = redeemed();
        let v = apply(
            &mut g,
            Command::Refresh {
                presented: hash("rt1"),
                scope: SkillSet::all(),
                issue: Some(issue("rt2", "at2", T0)),
                retry_answer: None,
                upstream: Some("resealed".into()),
            },
            T0,
        );
        let Verdict::Issued { dropped } = v else { panic!() };
        assert!(dropped.iter().any(|a| a.hash.matches(&hash("at1"))));
        let g = g.unwrap();
        assert_eq!((g.upstream.as_str(), g.access.len()), ("resealed", 1));
    }

    #[test]
    fn older_generations_are_remembered_up_to_a_bound() {
        let mut g = redeemed();
        let mut from = "rt1".to_string();
        for i in 0..records::MAX_RETIRED_REFRESH + 5 {
            let to = format!("gen{i}");
            assert!(matches!(rotate(&mut g, &from, &to, T0), Verdict::Issued { .. }));
            from = to;
        }
        assert_eq!(g.as_ref().unwrap().retired_refresh.len(), records::MAX_RETIRED_REFRESH);
    }
}
