//! The Sentry REST API client: one place that builds URLs, attaches the token, routes to the
//! org's region, enforces the deadline and turns every failure into a [`SentryError`].

use std::cell::Cell;

use serde_json::Value;
use url::Url;

use super::error::SentryError;
use super::pagination;
use super::path::ApiPath;
use crate::caches::{Caches, EndpointKey, RegionKey};
use crate::config::SentryConfig;
use crate::platform::http::{Headers, HttpRequest, HttpResponse};
use crate::platform::{FetchError, Platform};
use crate::redact::scrub;
use crate::telemetry::Telemetry;

/// What one request learned about Sentry's answers that a layer above acts on once the request
/// is done: today, whether Sentry rejected the token itself (401 without an organization
/// condition such as `sso-required`), after which the OAuth path revokes the grant. Created per
/// request; the client only ever sets it.
#[derive(Debug, Default)]
pub(crate) struct UpstreamSignals {
    token_rejected: Cell<bool>,
}

impl UpstreamSignals {
    /// Whether any call of the request got 401 from Sentry.
    pub(crate) fn token_rejected(&self) -> bool {
        self.token_rejected.get()
    }
}

/// Which host a call goes to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Host<'a> {
    /// The configured Sentry URL (identity, org list, OAuth on SaaS).
    Control,
    /// The region that serves this organization.
    Org(&'a str),
}

/// A successful API answer.
#[derive(Debug, Clone)]
pub(crate) struct ApiResponse {
    pub body: Value,
    /// The cursor of the next page, when Sentry says there is more.
    pub next_cursor: Option<String>,
}

/// A Sentry API client bound to one caller's token.
pub(crate) struct SentryClient<'a> {
    config: &'a SentryConfig,
    token: &'a str,
    platform: &'a dyn Platform,
    /// Regions and exhausted endpoints, shared by the isolate or process.
    caches: &'a Caches,
    telemetry: Option<&'a Telemetry>,
    signals: Option<&'a UpstreamSignals>,
}

impl<'a> SentryClient<'a> {
    pub(crate) fn new(
        config: &'a SentryConfig,
        token: &'a str,
        platform: &'a dyn Platform,
        caches: &'a Caches,
    ) -> Self {
        Self { config, token, platform, caches, telemetry: None, signals: None }
    }

    /// Note in `signals` what the request's layers above must learn (a 401 from Sentry).
    pub(crate) fn with_signals(mut self, signals: &'a UpstreamSignals) -> Self {
        self.signals = Some(signals);
        self
    }

    /// Record every call (status, timing) in the request's telemetry.
    pub(crate) fn with_telemetry(mut self, telemetry: &'a Telemetry) -> Self {
        self.telemetry = Some(telemetry);
        self
    }

    /// The caches of the isolate or process.
    pub(crate) fn caches(&self) -> &Caches {
        self.caches
    }

    /// A fingerprint of the caller's token, for caches kept per caller (never the token).
    pub(crate) fn caller(&self) -> String {
        crate::digest::fingerprint("token", self.token)
    }

    pub(crate) fn config(&self) -> &SentryConfig {
        self.config
    }

    /// `GET` a path with query parameters.
    pub(crate) async fn get(
        &self,
        host: Host<'_>,
        path: &ApiPath,
        query: &[(&str, String)],
    ) -> Result<ApiResponse, SentryError> {
        self.send("GET", host, path, query, None).await
    }

    /// Send any request; `body` is sent as JSON.
    pub(crate) async fn send(
        &self,
        method: &str,
        host: Host<'_>,
        path: &ApiPath,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<ApiResponse, SentryError> {
        let base = match host {
            Host::Control => self.config.base.clone(),
            Host::Org(org) => self.region_for(org).await?,
        };
        self.send_to(&base, method, path, query, body).await
    }

    /// The base URL that serves `org`, from cache or from `GET /organizations/{org}/`.
    pub(crate) async fn region_for(&self, org: &str) -> Result<Url, SentryError> {
        if let Some(url) = self.caches.regions.get(&self.region_key(org)) {
            return Ok(url);
        }
        let path = ApiPath::of(&["organizations", org])
            .map_err(|e| SentryError::InvalidRequest(e.to_string()))?;
        let resp = self
            .send_to(&self.config.base.clone(), "GET", &path, &[], None)
            .await
            .map_err(|e| e.about(format!("organization '{org}'")))?;
        let region = resp.body.pointer("/links/regionUrl").and_then(Value::as_str).unwrap_or("");
        self.remember_region(org, region)
    }

    /// Validate an org's advertised region URL and cache it. Empty means "the base URL" (self-hosted).
    pub(crate) fn remember_region(&self, org: &str, region: &str) -> Result<Url, SentryError> {
        let url = if region.trim().is_empty() {
            self.config.base.clone()
        } else {
            self.check_region(org, region)?
        };
        self.caches.regions.put(self.region_key(org), url.clone());
        Ok(url)
    }

    fn region_key(&self, org: &str) -> RegionKey {
        RegionKey {
            control_host: self.config.base.as_str().to_string(),
            organization: org.to_ascii_lowercase(),
        }
    }

    /// The SSRF guard: a region URL must use an allowed scheme and name an allowed host.
    fn check_region(&self, org: &str, region: &str) -> Result<Url, SentryError> {
        let refused = || SentryError::RegionRefused {
            org: org.to_string(),
            region: region.chars().take(200).collect(),
        };
        let mut url = Url::parse(region.trim()).map_err(|_| refused())?;
        let scheme_ok =
            url.scheme() == "https" || (url.scheme() == "http" && self.config.allow_insecure_http);
        let clean = url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none();
        if !scheme_ok || !clean || !self.config.region_hosts.iter().any(|rule| rule.matches(&url)) {
            return Err(refused());
        }
        let path = url.path().trim_end_matches('/').to_string();
        url.set_path(&path);
        Ok(url)
    }

    async fn send_to(
        &self,
        base: &Url,
        method: &str,
        path: &ApiPath,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<ApiResponse, SentryError> {
        let (response, host) = self.exchange(base, method, path, query, body).await?;
        self.interpret(response, &host)
    }

    /// `GET` raw bytes (attachment downloads): the body and its content type.
    pub(crate) async fn get_bytes(
        &self,
        org: &str,
        path: &ApiPath,
        query: &[(&str, String)],
    ) -> Result<(Vec<u8>, String), SentryError> {
        let base = self.region_for(org).await?;
        let (response, host) = self.exchange(&base, "GET", path, query, None).await?;
        if (200..300).contains(&response.status) {
            let content_type = response
                .headers
                .get("content-type")
                .unwrap_or("application/octet-stream")
                .to_string();
            return Ok((response.body, content_type));
        }
        self.interpret(response, &host).map(|_| (Vec::new(), String::new()))
    }

    /// One HTTP exchange with Sentry; no status interpretation yet.
    async fn exchange(
        &self,
        base: &Url,
        method: &str,
        path: &ApiPath,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<(HttpResponse, String), SentryError> {
        let mut url =
            Url::parse(&format!("{}{}", base.as_str().trim_end_matches('/'), path.as_str()))
                .map_err(|e| {
                    SentryError::InvalidRequest(format!("could not build the Sentry URL: {e}"))
                })?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        let mut headers = Headers::new()
            .with("authorization", format!("Bearer {}", self.token))
            .with("accept", "application/json")
            .with("user-agent", format!("{}/{}", crate::SERVER_NAME, crate::SERVER_VERSION));
        let mut bytes = Vec::new();
        if let Some(b) = body {
            headers.set("content-type", "application/json");
            bytes = serde_json::to_vec(b).unwrap_or_default();
        }
        let logged_path = url.path().to_string();
        let limit_key =
            EndpointKey { caller: self.caller(), host: host.clone(), path: logged_path.clone() };
        let started = self.platform.now_ms();
        if let Some(until) = self.caches.exhausted_until.get(&limit_key) {
            if until > started {
                return Err(SentryError::RateLimited {
                    retry_after_secs: Some((until - started).div_ceil(1000)),
                });
            }
        }
        let request = HttpRequest { method: method.to_string(), url, headers, body: bytes };
        let result = self.platform.fetch(request, self.config.timeout).await;
        if let Some(t) = self.telemetry {
            t.record_upstream(
                method,
                &host,
                &logged_path,
                result.as_ref().ok().map(|r| r.status),
                started,
                self.platform.now_ms(),
            );
        }
        let response = result.map_err(|e| match e {
            FetchError::Timeout(d) => {
                SentryError::Timeout { host: host.clone(), seconds: d.as_secs().max(1) }
            }
            FetchError::Network(_) => SentryError::Network { host: host.clone() },
        })?;
        let exhausted = response.status == 429
            || response.headers.get("x-sentry-rate-limit-remaining").map(str::trim) == Some("0");
        if let (true, Some(wait)) = (exhausted, self.retry_after(&response.headers)) {
            self.caches.exhausted_until.put(limit_key, self.platform.now_ms() + wait * 1000);
        }
        Ok((response, host))
    }

    /// Turn an HTTP answer into data or a typed error.
    fn interpret(&self, response: HttpResponse, host: &str) -> Result<ApiResponse, SentryError> {
        let status = response.status;
        let content_type = response
            .headers
            .get("content-type")
            .and_then(|c| c.split(';').next())
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("no content type")
            .to_string();
        let is_json = content_type.to_ascii_lowercase().contains("json");
        let parsed: Option<Value> =
            if is_json { serde_json::from_slice(&response.body).ok() } else { None };

        if (200..300).contains(&status) {
            if status == 204 || response.body.is_empty() {
                return Ok(ApiResponse { body: Value::Null, next_cursor: None });
            }
            let Some(body) = parsed else {
                let content_type =
                    if is_json { "malformed JSON".to_string() } else { content_type };
                return Err(SentryError::NotJson { status, content_type, host: host.to_string() });
            };
            let next_cursor = pagination::next_cursor(response.headers.get("link"));
            return Ok(ApiResponse { body, next_cursor });
        }

        let detail = parsed.as_ref().map(|b| self.detail_of(b)).unwrap_or_default();
        Err(match status {
            400 | 422 if parsed.is_some() => {
                SentryError::BadRequest { status, detail: or_default(detail, "no details given") }
            }
            401 => match parsed.as_ref().and_then(access_condition) {
                Some((code, message)) => SentryError::AccessCondition {
                    code,
                    message: or_default(scrub(&message, Some(self.token)), "no details given"),
                },
                None => {
                    if let Some(signals) = self.signals {
                        signals.token_rejected.set(true);
                    }
                    SentryError::Unauthorized
                }
            },
            403 => SentryError::Forbidden { detail: or_default(detail, "permission denied") },
            404 => SentryError::NotFound { subject: None },
            429 => {
                SentryError::RateLimited { retry_after_secs: self.retry_after(&response.headers) }
            }
            500..=599 => SentryError::Server { status },
            _ if parsed.is_none() => {
                SentryError::NotJson { status, content_type, host: host.to_string() }
            }
            _ => SentryError::UnexpectedStatus { status },
        })
    }

    /// Sentry's error text: `{"detail": "..."}` or `{"field": ["message"]}`, scrubbed and shortened.
    fn detail_of(&self, body: &Value) -> String {
        let raw = match body {
            Value::Object(map) => match map.get("detail") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => map
                    .iter()
                    .map(|(k, v)| match v {
                        Value::Array(items) => format!(
                            "{k}: {}",
                            items
                                .iter()
                                .map(|i| i
                                    .as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| i.to_string()))
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                        other => format!("{k}: {other}"),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            },
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let clean: String =
            scrub(&raw, Some(self.token)).chars().filter(|c| !c.is_control()).take(500).collect();
        clean
    }

    /// Seconds to wait, from `Retry-After` or `X-Sentry-Rate-Limit-Reset` (epoch seconds).
    fn retry_after(&self, headers: &Headers) -> Option<u64> {
        if let Some(s) = headers.get("retry-after").and_then(|v| v.trim().parse::<f64>().ok()) {
            return Some(s.ceil().max(1.0) as u64);
        }
        let reset = headers.get("x-sentry-rate-limit-reset")?.trim().parse::<f64>().ok()?;
        let now = self.platform.now_ms() as f64 / 1000.0;
        Some((reset - now).ceil().max(1.0) as u64)
    }
}

fn or_default(s: String, default: &str) -> String {
    if s.is_empty() {
        default.to_string()
    } else {
        s
    }
}

/// A 401 that names a condition of one organization (`{"detail": {"code": "sso-required",
/// "message": ...}}`) rather than a rejected token: the code (a plain token) and the message.
fn access_condition(body: &Value) -> Option<(String, String)> {
    let detail = body.get("detail")?;
    let code = detail.get("code")?.as_str()?;
    let plain = !code.is_empty()
        && code.len() <= 40
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !plain {
        return None;
    }
    let message = detail.get("message").and_then(Value::as_str).unwrap_or("");
    let message: String = message.chars().filter(|c| !c.is_control()).take(200).collect();
    Some((code.to_string(), message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::platform::testing::{block_on, FakePlatform};
    use serde_json::json;

    fn saas() -> SentryConfig {
        Config::from_vars(|_| None).unwrap().sentry
    }

    #[test]
    fn region_urls_outside_the_allowlist_are_refused_and_never_fetched() {
        let config = saas();
        let platform = FakePlatform::default();
        let caches = Caches::new();
        let client = SentryClient::new(&config, "t", &platform, &caches);
        for bad in [
            "https://evil.example.com",
            "http://us.sentry.io",
            "https://user@de.sentry.io",
            "https://us.sentry.io.evil.com",
            "javascript:alert(1)",
            "https://us.sentry.io:8443",
            "https://de.sentry.io/api/0/projects/acme/secret/",
            "https://de.sentry.io/..%2f",
        ] {
            assert!(
                matches!(
                    client.remember_region("acme-test-refuse", bad),
                    Err(SentryError::RegionRefused { .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(
            client.remember_region("acme-test-ok", "https://de.sentry.io/").unwrap().as_str(),
            "https://de.sentry.io/"
        );
        assert_eq!(
            client.remember_region("acme-test-443", "https://us.sentry.io:443").unwrap().as_str(),
            "https://us.sentry.io/",
            "the default port, written out, is the default port"
        );
        assert!(platform.requests.borrow().is_empty());
    }

    #[test]
    fn org_calls_route_to_the_org_region() {
        let config = saas();
        let platform = FakePlatform::default();
        let caches = Caches::new();
        platform.answer_json(
            200,
            json!({"slug": "eu-org-route", "links": {"regionUrl": "https://de.sentry.io"}}),
        );
        platform.answer_json(200, json!([]));
        let client = SentryClient::new(&config, "t", &platform, &caches);
        let path = ApiPath::of(&["organizations", "eu-org-route", "issues"]).unwrap();
        block_on(client.get(
            Host::Org("eu-org-route"),
            &path,
            &[("query", "is:unresolved".into())],
        ))
        .unwrap();
        let reqs = platform.requests.borrow();
        assert_eq!(reqs[0].url.as_str(), "https://sentry.io/api/0/organizations/eu-org-route/");
        assert_eq!(
            reqs[1].url.as_str(),
            "https://de.sentry.io/api/0/organizations/eu-org-route/issues/?query=is%3Aunresolved"
        );
    }

    #[test]
    fn an_exhausted_endpoint_is_not_called_again_until_it_resets() {
        let config = saas();
        let platform = FakePlatform::default();
        let caches = Caches::new();
        let reset = platform.now_ms() / 1000 + 30;
        platform.answers.borrow_mut().push_back(Ok(HttpResponse::json(200, &json!([]))
            .with_header("x-sentry-rate-limit-remaining", "0")
            .with_header("x-sentry-rate-limit-reset", reset.to_string())));
        let client = SentryClient::new(&config, "exhausted-token", &platform, &caches);
        let path = ApiPath::of(&["organizations"]).unwrap();
        block_on(client.get(Host::Control, &path, &[])).unwrap();
        let second = block_on(client.get(Host::Control, &path, &[])).unwrap_err();
        assert_eq!(second, SentryError::RateLimited { retry_after_secs: Some(30) });
        assert_eq!(platform.requests.borrow().len(), 1, "Sentry was not asked again");
    }

    #[test]
    fn only_a_rejected_token_signals_rejection_not_an_organization_condition() {
        let config = saas();
        let platform = FakePlatform::default();
        let caches = Caches::new();
        let sso = json!({"detail": {"code": "sso-required", "message": "Must login via SSO",
            "extra": {"loginUrl": "https://sentry.io/auth/login/acme/"}}});
        platform.answer_json(401, sso);
        platform.answer_json(401, json!({"detail": "Invalid token"}));
        let path = ApiPath::of(&["organizations"]).unwrap();

        let signals = UpstreamSignals::default();
        let client = SentryClient::new(&config, "t", &platform, &caches).with_signals(&signals);
        let condition = block_on(client.get(Host::Control, &path, &[])).unwrap_err();
        assert_eq!(
            condition,
            SentryError::AccessCondition {
                code: "sso-required".into(),
                message: "Must login via SSO".into()
            }
        );
        assert!(condition.to_string().contains("The token itself is valid"));
        assert!(!signals.token_rejected(), "an organization condition keeps the grant");

        let rejected = block_on(client.get(Host::Control, &path, &[])).unwrap_err();
        assert_eq!(rejected, SentryError::Unauthorized);
        assert!(signals.token_rejected());
    }

    #[test]
    fn rate_limits_say_how_long_to_wait() {
        let config = saas();
        let platform = FakePlatform::default();
        let caches = Caches::new();
        let reset = platform.now_ms() / 1000 + 42;
        platform.answers.borrow_mut().push_back(Ok(HttpResponse::json(
            429,
            &json!({"detail": "slow down"}),
        )
        .with_header("x-sentry-rate-limit-reset", reset.to_string())));
        let client = SentryClient::new(&config, "t", &platform, &caches);
        let err = block_on(client.get(Host::Control, &ApiPath::root(), &[])).unwrap_err();
        assert_eq!(err, SentryError::RateLimited { retry_after_secs: Some(42) });
    }
}
