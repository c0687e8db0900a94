//! Where OAuth records live: a small key-value interface with expiry.
//!
//! The Worker implements it over the `OAUTH_KV` namespace (`edge::kv`); unit tests use
//! [`MemoryStore`]. It is deliberately not part of [`crate::platform::Platform`]: the native stdio
//! binary has no OAuth and no KV.
//!
//! Workers KV is eventually consistent and has no compare-and-swap, so the decisions that must be
//! strictly single-use have their own methods: [`Store::grant`] (code redemption, refresh
//! rotation, revocation: `oauth::ledger`) and [`Store::consume_once`] (the upstream `state`).
//! Their defaults are read-modify-writes over `get`/`put`; the Worker overrides them with a
//! Durable Object that decides one request at a time (`docs/oauth.md`, "Consistency").

use async_trait::async_trait;

use super::ledger::{self, Command, Verdict};
use super::records::UnixMillis;

/// KV refuses expirations shorter than 60 seconds.
pub(crate) const MIN_TTL_SECS: u64 = 60;

/// The store failed (network, quota...). Never carries a key or value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("OAuth storage is unavailable: {0}")]
pub(crate) struct StoreError(pub String);

#[async_trait(?Send)]
pub(crate) trait Store {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Write `value`, expiring after `ttl_secs` (raised to [`MIN_TTL_SECS`]).
    async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError>;
    async fn delete(&self, key: &str) -> Result<(), StoreError>;

    /// Decide `cmd` on the grant `grant_id` at `now` (see [`ledger::apply`]).
    async fn grant(
        &self,
        grant_id: &str,
        now: UnixMillis,
        cmd: Command,
    ) -> Result<Verdict, StoreError> {
        ledger::apply_over_store(self, grant_id, now, cmd).await
    }

    /// Consume the single-use marker `key`: `true` for the first caller only.
    async fn consume_once(&self, key: &str) -> Result<bool, StoreError> {
        if self.get(key).await?.is_none() {
            return Ok(false);
        }
        self.delete(key).await?;
        Ok(true)
    }
}

/// An in-memory [`Store`] for unit tests; records the TTL of every write.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct MemoryStore {
    pub map: std::cell::RefCell<std::collections::BTreeMap<String, (String, u64)>>,
    /// Every operation so far, as `get`, `put` or `delete`: what a request costs in KV calls.
    pub operations: std::cell::RefCell<Vec<&'static str>>,
}

#[cfg(test)]
#[async_trait(?Send)]
impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.operations.borrow_mut().push("get");
        Ok(self.map.borrow().get(key).map(|(v, _)| v.clone()))
    }
    async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        self.operations.borrow_mut().push("put");
        self.map
            .borrow_mut()
            .insert(key.to_string(), (value.to_string(), ttl_secs.max(MIN_TTL_SECS)));
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.operations.borrow_mut().push("delete");
        self.map.borrow_mut().remove(key);
        Ok(())
    }
}

#[cfg(test)]
impl MemoryStore {
    /// The TTL the record under `key` was written with.
    pub(crate) fn ttl(&self, key_prefix: &str) -> Option<u64> {
        self.map.borrow().iter().find(|(k, _)| k.starts_with(key_prefix)).map(|(_, (_, t))| *t)
    }
    /// Every stored value, for "nothing in clear" assertions.
    pub(crate) fn dump(&self) -> String {
        self.map.borrow().iter().map(|(k, (v, _))| format!("{k}={v}\n")).collect()
    }
}
