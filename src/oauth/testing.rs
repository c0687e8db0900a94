//! Test support: a platform with a settable clock and distinct random bytes, and a ready context.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::config::OAuthConfig;
use super::store::MemoryStore;
use crate::platform::http::{HttpRequest, HttpResponse};
use crate::platform::testing::FakePlatform;
use crate::platform::{FetchError, LogLevel, Platform};

/// [`FakePlatform`] (scripted fetch, recorded logs) plus a clock tests can move and a
/// deterministic generator that never repeats.
pub(crate) struct TestPlatform {
    pub inner: FakePlatform,
    pub now: Cell<u64>,
    counter: Cell<u64>,
}

impl TestPlatform {
    pub(crate) fn new() -> Self {
        // Each instance draws from its own range, so parallel tests never mint the same token
        // (process-wide state such as the redeemed-code set would otherwise mix them up).
        static SEED: AtomicU64 = AtomicU64::new(0);
        let start = SEED.fetch_add(1, Ordering::Relaxed) << 32;
        Self {
            inner: FakePlatform::default(),
            now: Cell::new(1_700_000_000_000),
            counter: Cell::new(start),
        }
    }
    pub(crate) fn advance_secs(&self, secs: u64) {
        self.now.set(self.now.get() + secs * 1000);
    }
}

impl Default for TestPlatform {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait(?Send)]
impl Platform for TestPlatform {
    async fn fetch(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, FetchError> {
        self.inner.fetch(request, timeout).await
    }
    async fn sleep(&self, _duration: Duration) {}

    fn now_ms(&self) -> u64 {
        self.now.get()
    }
    fn fill_random(&self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(32) {
            let n = self.counter.get() + 1;
            self.counter.set(n);
            let block = Sha256::digest(n.to_le_bytes());
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
    }
    fn log(&self, level: LogLevel, line: &str) {
        self.inner.log(level, line);
    }
}

pub(crate) fn oauth_config() -> OAuthConfig {
    OAuthConfig::from_vars(|k| {
        Some(
            match k {
                "SENTRY_CLIENT_ID" => "sentry-app-id",
                "SENTRY_CLIENT_SECRET" => "sentry-app-secret",
                "COOKIE_SECRET" => "unit-test-cookie-secret-0123456789abcdef",
                _ => return None,
            }
            .to_string(),
        )
    })
    .unwrap()
}

pub(crate) fn memory_store() -> MemoryStore {
    MemoryStore::default()
}

/// Everything an OAuth handler runs with, owned, for unit tests: `fixture.ctx()` lends it as a
/// [`super::Ctx`].
pub(crate) struct Fixture {
    pub config: crate::config::Config,
    pub oauth: OAuthConfig,
    pub store: MemoryStore,
    pub platform: TestPlatform,
    pub caches: crate::caches::Caches,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        Self {
            config: crate::config::Config::from_vars(|_| None).unwrap(),
            oauth: oauth_config(),
            store: memory_store(),
            platform: TestPlatform::new(),
            caches: crate::caches::Caches::new(),
        }
    }

    pub(crate) fn ctx(&self) -> super::Ctx<'_> {
        super::Ctx {
            config: &self.config,
            oauth: &self.oauth,
            store: &self.store,
            platform: &self.platform,
            caches: &self.caches,
        }
    }
}
