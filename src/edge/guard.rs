//! The Durable Object that decides OAuth single use, and the [`Store`] methods that call it.
//!
//! One object per grant (named `grant:{grantId}`) keeps the grant record in its SQLite storage and
//! runs [`ledger::apply`] on it; one object per pending upstream `state` (named after the KV
//! marker) remembers that it was consumed. An object handles one request at a time and the
//! decision is a synchronous read, apply and write of one SQLite row (no `await` between them),
//! so two requests can never both win, wherever they land. Everything this file adds is the
//! plumbing: the rules are `oauth::ledger`'s, tested natively.
//!
//! Storage is kept as long as a token could still be presented: an alarm deletes the object's
//! data when the grant (or the state) has expired, a tombstone included.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use worker::durable::{ObjectNamespace, State};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response};

use crate::oauth::ledger::{self, Command, Verdict};
use crate::oauth::records::{self, UnixMillis};
use crate::oauth::{Store, StoreError};

/// The binding name in `wrangler.toml`.
pub(super) const BINDING: &str = "OAUTH_GUARD";

/// What the worker asks an object.
#[derive(Serialize, Deserialize)]
enum Ask {
    Grant { now: UnixMillis, cmd: Command },
    ConsumeOnce,
}

/// The OAuth guard object (class `OAuthGuard`, SQLite-backed; see `wrangler.toml`).
#[allow(unreachable_pub)] // exported to JavaScript by `#[durable_object]`
#[durable_object(alarm)]
pub struct OAuthGuard {
    state: State,
}

fn sql_error(e: impl std::fmt::Display) -> worker::Error {
    worker::Error::RustError(format!("guard storage: {e}"))
}

impl OAuthGuard {
    fn read(&self) -> worker::Result<Option<String>> {
        #[derive(Deserialize)]
        struct Row {
            v: String,
        }
        let sql = self.state.storage().sql();
        sql.exec("CREATE TABLE IF NOT EXISTS record (k TEXT PRIMARY KEY, v TEXT NOT NULL)", None)
            .map_err(sql_error)?;
        let rows: Vec<Row> = sql
            .exec("SELECT v FROM record WHERE k = 'value'", None)
            .and_then(|c| c.to_array())
            .map_err(sql_error)?;
        Ok(rows.into_iter().next().map(|r| r.v))
    }

    fn write(&self, value: &str) -> worker::Result<()> {
        self.state
            .storage()
            .sql()
            .exec(
                "INSERT INTO record (k, v) VALUES ('value', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                vec![value.to_string().into()],
            )
            .map(|_| ())
            .map_err(sql_error)
    }

    /// Delete this object's data `secs` (plus a minute of slack) from now.
    async fn expire_after(&self, secs: u64) -> worker::Result<()> {
        let after = std::time::Duration::from_secs(secs.saturating_add(60));
        self.state.storage().set_alarm(after).await
    }
}

impl DurableObject for OAuthGuard {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let ask: Ask = req.json().await?;
        match ask {
            Ask::Grant { now, cmd } => {
                // Read, decide and write with no await in between: the decision is atomic.
                let applied = ledger::apply_stored(self.read()?.as_deref(), cmd, now);
                if let Some((record, keep_secs)) = &applied.write {
                    self.write(record)?;
                    self.expire_after(*keep_secs).await?;
                }
                Response::from_json(&applied.verdict)
            }
            Ask::ConsumeOnce => {
                let first = self.read()?.is_none();
                if first {
                    self.write("consumed")?;
                    self.expire_after(records::STATE_TTL_SECS).await?;
                }
                Response::from_json(&first)
            }
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.state.storage().delete_all().await?;
        Response::empty()
    }
}

/// The KV store with the guard in front of its single-use decisions.
pub(super) struct GuardedStore {
    pub kv: super::kv::KvOAuthStore,
    pub guard: ObjectNamespace,
}

fn fail(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("OAuth guard: {e}"))
}

impl GuardedStore {
    async fn ask<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        ask: &Ask,
    ) -> Result<T, StoreError> {
        let stub = self.guard.get_by_name(name).map_err(fail)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_body(Some(serde_json::to_string(ask).map_err(fail)?.into()));
        let req = Request::new_with_init("https://oauth-guard/", &init).map_err(fail)?;
        let mut resp = stub.fetch_with_request(req).await.map_err(fail)?;
        if resp.status_code() != 200 {
            return Err(fail(format!("status {}", resp.status_code())));
        }
        resp.json().await.map_err(fail)
    }
}

#[async_trait(?Send)]
impl Store for GuardedStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.kv.get(key).await
    }

    async fn put(&self, key: &str, value: &str, ttl_secs: u64) -> Result<(), StoreError> {
        self.kv.put(key, value, ttl_secs).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.kv.delete(key).await
    }

    async fn grant(
        &self,
        grant_id: &str,
        now: UnixMillis,
        cmd: Command,
    ) -> Result<Verdict, StoreError> {
        let name = records::grant_key(grant_id);
        let is_load = matches!(cmd, Command::Load);
        let verdict: Verdict = self.ask(&name, &Ask::Grant { now, cmd }).await?;
        if !(is_load && matches!(verdict, Verdict::Loaded(None))) {
            return Ok(verdict);
        }
        // A grant written to KV before this object existed: moved in once (the object refuses to
        // overwrite anything, a tombstone included), so its client need not authorize again.
        let Some(raw) = self.kv.get(&name).await? else { return Ok(verdict) };
        let Ok(record) = serde_json::from_str(&raw) else { return Ok(verdict) };
        let create = Ask::Grant { now, cmd: Command::Create(Box::new(record)) };
        let _created: Verdict = self.ask(&name, &create).await?;
        self.ask(&name, &Ask::Grant { now, cmd: Command::Load }).await
    }

    async fn consume_once(&self, key: &str) -> Result<bool, StoreError> {
        let first: bool = self.ask(key, &Ask::ConsumeOnce).await?;
        if first {
            // The KV marker only says the state was issued; the object has decided.
            self.kv.delete(key).await?;
        }
        Ok(first)
    }
}
