//! [`Store`] over the Worker's `OAUTH_KV` namespace.

use async_trait::async_trait;
use worker::kv::KvStore;

use crate::oauth::store::MIN_TTL_SECS;
use crate::oauth::{Store, StoreError};

pub(super) struct KvOAuthStore(pub KvStore);

fn fail(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("KV: {e}"))
}

#[async_trait(?Send)]
impl Store for KvOAuthStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.0.get(key).text().await.map_err(fail)
    }

    async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        self.0
            .put(key, value)
            .map_err(fail)?
            .expiration_ttl(ttl_secs.max(MIN_TTL_SECS))
            .execute()
            .await
            .map_err(fail)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).await.map_err(fail)
    }
}
