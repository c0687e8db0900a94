//! Where OAuth records live: a small key-value interface with expiry.
//!
//! The Worker implements it over the `OAUTH_KV` namespace (`edge::kv`); unit tests use
//! [`MemoryStore`]. It is deliberately not part of [`crate::platform::Platform`]: the native stdio
//! binary has no OAuth and no KV.
//!
//! Workers KV is eventually consistent and has no compare-and-swap. What that means for single-use
//! codes and refresh-token rotation is written down in `docs/oauth.md` ("Consistency").

use async_trait::async_trait;

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
}

/// An in-memory [`Store`] for unit tests; records the TTL of every write.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct MemoryStore {
    pub map: std::cell::RefCell<std::collections::BTreeMap<String, (String, u64)>>,
}

#[cfg(test)]
#[async_trait(?Send)]
impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.map.borrow().get(key).map(|(v, _)| v.clone()))
    }
    async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        self.map
            .borrow_mut()
            .insert(key.to_string(), (value.to_string(), ttl_secs.max(MIN_TTL_SECS)));
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
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
