//! `/oauth/authorize`: the consent page (GET) and its approval (POST), which sends the browser on
//! to Sentry.
//!
//! GET checks the client and redirect URI first and shows an error page (never a redirect) when
//! they do not match a registration; only then are other problems reported to the client by
//! redirect. The page carries the request in a signed form field bound, through a random value,
//! to a `__Host-` cookie (CSRF). POST verifies both, remembers the approval in signed cookies, and
//! redirects to Sentry with a signed `state` whose nonce is stored server-side for single use.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::OAuthErrorCode;
use super::records::{
    self, Audience, ClientId, ClientRecord, CodeChallenge, RedirectUri, UnixMillis, STATE_TTL_SECS,
};
use super::signed::{self, SignedError};
use super::{
    cimd, cookies, crypto, origin, page, redirect, upstream, Ctx, Failure, Handled, Params,
};
use crate::platform::http::{HttpRequest, HttpResponse};
use crate::session::Constraints;
use crate::session::{Skill, SkillSet};

const FORM_PURPOSE: &str = "consent-form";
pub(crate) const STATE_PURPOSE: &str = "upstream-state";

/// The client's authorization request, as validated; travels signed through the consent form and
/// the upstream `state`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct AuthRequest {
    pub client_id: ClientId,
    pub redirect_uri: RedirectUri,
    pub redirect_uri_given: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    pub code_challenge: CodeChallenge,
    /// The RFC 8707 resource, canonicalised.
    pub audience: Audience,
}

#[derive(Serialize, Deserialize)]
struct ConsentForm {
    req: AuthRequest,
    csrf: String,
}

/// What the `state` sent to Sentry carries: the downstream request and the consent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UpstreamState {
    pub req: AuthRequest,
    pub skills: SkillSet,
    pub read_only: bool,
    /// Single-use marker stored as `state:{nonce}`.
    pub nonce: String,
    pub iat: UnixMillis,
}

/// A registered, unexpired client, or a metadata-document client whose document is valid.
pub(crate) async fn load_client(
    ctx: &Ctx<'_>,
    client_id: &str,
) -> Result<Option<ClientRecord>, super::StoreError> {
    Ok(resolve_client(ctx, client_id).await?.ok())
}

/// Why a client id names no usable client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UnknownClient {
    #[error("This application is not registered here, or its registration expired.")]
    NotRegistered,
    #[error(
        "This application identifies itself with a metadata document that cannot be used: {0}."
    )]
    Document(#[from] cimd::CimdError),
}

/// The client `client_id` names: a registration of ours, or (for an HTTPS URL) a client ID
/// metadata document ([`cimd`]).
pub(crate) async fn resolve_client(
    ctx: &Ctx<'_>,
    client_id: &str,
) -> Result<Result<ClientRecord, UnknownClient>, super::StoreError> {
    if cimd::is_document_id(client_id) {
        return Ok(cimd::resolve(ctx, client_id).await?.map_err(UnknownClient::from));
    }
    if client_id.is_empty() || client_id.len() > 64 {
        return Ok(Err(UnknownClient::NotRegistered));
    }
    let client: Option<ClientRecord> = ctx.get_json(&records::client_key(client_id)).await?;
    Ok(client.filter(|c| c.expires_at * 1000 > ctx.now().0).ok_or(UnknownClient::NotRegistered))
}

/// The client and the redirect URI to use, or the error page to show (never a redirect).
pub(crate) async fn client_and_redirect(
    ctx: &Ctx<'_>,
    client_id: Option<&str>,
    redirect_uri: Option<&str>,
) -> Result<(ClientRecord, RedirectUri, bool), Failure> {
    let client = match resolve_client(ctx, client_id.unwrap_or("")).await? {
        Ok(c) => c,
        Err(why) => {
            return Err(page::error_page(400, "Unknown application", &why.to_string()).into())
        }
    };
    let (uri, given) = match redirect_uri {
        Some(u) => (RedirectUri::from(u), true),
        None if client.redirect_uris.len() == 1 => (client.redirect_uris[0].clone(), false),
        None => {
            return Err(page::error_page(
                400,
                "Invalid request",
                "redirect_uri is required for this application.",
            )
            .into())
        }
    };
    if redirect::validate_redirect_uri(uri.as_str()).is_err()
        || !redirect::redirect_allowed(&client.redirect_uris, uri.as_str())
    {
        return Err(page::error_page(
            400,
            "Invalid redirect",
            "The redirect address is not registered for this application, so it was not used.",
        )
        .into());
    }
    Ok((client, uri, given))
}

/// Send an OAuth error back to the client's (validated) redirect URI, with its `state` and `iss`.
pub(crate) fn error_redirect(
    redirect_uri: &str,
    error: OAuthErrorCode,
    description: &str,
    state: Option<&str>,
    iss: &str,
) -> HttpResponse {
    let mut params = vec![("error", error.as_str()), ("error_description", description)];
    if let Some(s) = state {
        params.push(("state", s));
    }
    params.push(("iss", iss));
    found(&redirect::with_query(redirect_uri, &params))
}

pub(crate) fn found(location: &str) -> HttpResponse {
    HttpResponse::new(302)
        .with_header("location", location)
        .with_header("cache-control", "no-store")
}

/// PKCE S256 challenges are 43 base64url characters.
fn valid_challenge(c: &str) -> bool {
    c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `GET /oauth/authorize`.
pub(crate) async fn show(ctx: &Ctx<'_>, req: &HttpRequest) -> Handled {
    let q = Params::query(req);
    if let Some(p) = q.repeated(&["client_id", "redirect_uri"]) {
        return Ok(page::error_page(
            400,
            "Invalid request",
            &format!("The parameter '{p}' appears more than once."),
        ));
    }
    let (client, redirect_uri, given) =
        client_and_redirect(ctx, q.get("client_id"), q.get("redirect_uri")).await?;
    let iss = origin(req);
    let state = q.get("state");
    let fail = |error: OAuthErrorCode, why: &str| -> Handled {
        Err(error_redirect(&redirect_uri, error, why, state, &iss).into())
    };
    if let Some(p) = q.repeated(&[
        "response_type",
        "state",
        "code_challenge",
        "code_challenge_method",
        "resource",
        "scope",
    ]) {
        return fail(OAuthErrorCode::InvalidRequest, &format!("'{p}' appears more than once"));
    }
    if q.get("response_type") != Some("code") {
        return fail(
            OAuthErrorCode::UnsupportedResponseType,
            "only response_type=code is supported",
        );
    }
    let Some(challenge) = q.get("code_challenge") else {
        return fail(
            OAuthErrorCode::InvalidRequest,
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        );
    };
    if q.get("code_challenge_method") != Some("S256") {
        return fail(
            OAuthErrorCode::InvalidRequest,
            "code_challenge_method must be S256 (plain is not accepted)",
        );
    }
    if !valid_challenge(challenge) {
        return fail(
            OAuthErrorCode::InvalidRequest,
            "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
        );
    }
    let audience = match redirect::audience_from_resource(q.get("resource"), &iss) {
        Ok(a) => a,
        Err(why) => return fail(OAuthErrorCode::InvalidTarget, &why),
    };
    let requested = q
        .get("scope")
        .map(|s| {
            s.split_whitespace().filter_map(Skill::parse).fold(SkillSet::none(), SkillSet::with)
        })
        .filter(|s| !s.is_empty());
    let (checked, read_only) = cookies::preference(ctx, &req.headers, client.client_id.as_str())
        .unwrap_or((requested.unwrap_or(SkillSet::defaults()), false));

    let csrf = crate::platform::random_hex(ctx.platform, 16);
    let auth = AuthRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        redirect_uri_given: given,
        state: state.map(str::to_string),
        code_challenge: CodeChallenge::from(challenge),
        audience,
    };
    let constraints = auth
        .audience
        .as_str()
        .strip_prefix(iss.as_str())
        .and_then(|path| Constraints::from_mcp_path(path).ok())
        .unwrap_or_default();
    let form_state = signed::sign(
        &ctx.key(FORM_PURPOSE),
        FORM_PURPOSE,
        &ConsentForm { req: auth, csrf: csrf.clone() },
        ctx.now().plus(Duration::from_secs(STATE_TTL_SECS)),
    );
    let target = url::Url::parse(&redirect_uri).map_err(|_| {
        page::error_page(400, "Invalid redirect", "The redirect address cannot be parsed.")
    })?;
    let form_action = format!(
        "'self' {} {}",
        ctx.config.sentry.base.origin().ascii_serialization(),
        redirect::csp_source(&target)
    );
    let mut response = page::consent_page(&page::Consent {
        client_name: client.client_name.as_deref(),
        client_id: &client.client_id,
        redirect: &target,
        scope: (constraints.organization.as_deref(), constraints.project.as_deref()),
        checked,
        read_only,
        form_state: &form_state,
        form_action: &form_action,
    });
    response.headers.add("set-cookie", cookies::set(cookies::CSRF, &csrf, STATE_TTL_SECS));
    Ok(response)
}

/// `POST /oauth/authorize`: the user approved (or denied) on the consent page.
pub(crate) async fn approve(ctx: &Ctx<'_>, req: &HttpRequest) -> Handled {
    let own = origin(req);
    // A foreign Origin is refused outright. `null` (opaque or privacy-preserving contexts) passes
    // to the CSRF check below, which a cross-site request cannot satisfy (SameSite=Lax cookie).
    if req.headers.get("origin").is_some_and(|o| o != own && o != "null") {
        return Ok(page::error_page(
            403,
            "Request refused",
            "This approval did not come from this server's consent page.",
        ));
    }
    let f = Params::form(&req.body);
    let form: ConsentForm = match signed::verify(
        &ctx.key(FORM_PURPOSE),
        FORM_PURPOSE,
        f.get("tx").unwrap_or(""),
        ctx.now(),
    ) {
        Ok(form) => form,
        Err(SignedError::Expired) => {
            return Ok(page::error_page(
                400,
                "This page expired",
                "The consent page was open for too long.",
            ))
        }
        Err(SignedError::Invalid) => {
            return Ok(page::error_page(
                400,
                "Invalid request",
                "The consent form was altered or is not from this server.",
            ))
        }
    };
    if !cookies::read(&req.headers, cookies::CSRF).is_some_and(|c| crypto::ct_eq(c, &form.csrf)) {
        return Ok(page::error_page(403, "Request refused", "This approval could not be matched to the consent page shown in this browser (are cookies blocked?)."));
    }
    let r = form.req;
    let (client, _, _) =
        client_and_redirect(ctx, Some(&r.client_id), Some(&r.redirect_uri)).await?;
    if f.get("action") != Some("approve") {
        return Ok(error_redirect(
            &r.redirect_uri,
            OAuthErrorCode::AccessDenied,
            "the user denied the request",
            r.state.as_deref(),
            &own,
        ));
    }
    let skills = f.all("skill").filter_map(Skill::parse).fold(SkillSet::none(), SkillSet::with);
    if skills.is_empty() {
        return Ok(page::error_page(
            400,
            "Nothing selected",
            "Select at least one permission. Go back and try again.",
        ));
    }
    let read_only = f.get("read_only") == Some("on");

    let nonce = crate::platform::random_hex(ctx.platform, 16);
    ctx.store.put(&records::state_key(&nonce), "1", STATE_TTL_SECS).await?;
    let flow_cookie = cookies::set(cookies::FLOW, &nonce, STATE_TTL_SECS);
    let state = UpstreamState { req: r, skills, read_only, nonce, iat: ctx.now() };
    let signed_state = signed::sign(
        &ctx.key(STATE_PURPOSE),
        STATE_PURPOSE,
        &state,
        ctx.now().plus(Duration::from_secs(STATE_TTL_SECS)),
    );
    let location = upstream::authorize_url(ctx, &own, skills, read_only, &signed_state);

    let mut response = found(&location);
    response.headers.add("set-cookie", cookies::approve(ctx, &req.headers, &client.client_id));
    response.headers.add(
        "set-cookie",
        cookies::remember(ctx, &req.headers, &client.client_id, skills, read_only),
    );
    response.headers.add("set-cookie", cookies::set(cookies::CSRF, "", 0));
    response.headers.add("set-cookie", flow_cookie);
    ctx.log(
        crate::platform::LogLevel::Info,
        "oauth_consent_granted",
        serde_json::json!({"skills": state.skills, "read_only": read_only}),
    );
    Ok(response)
}
