//! What outlives one request: the per-isolate (Worker) or per-process (stdio) caches.
//!
//! Every cache is a field of one owned [`Caches`] value, with a typed key and a bound: when a
//! cache is full, the least recently used entry goes. The runtime creates it once (the edge per
//! isolate, the stdio binary per process) and passes it down, so nothing below keeps a global of
//! its own and a unit test gets fresh caches by creating a new value.
//!
//! Nothing here is authoritative: losing an entry (a new isolate, eviction) only costs an extra
//! upstream call or a weaker replay guard, never a wrong answer.

use std::cell::RefCell;
use std::hash::Hash;
use std::num::NonZeroUsize;

use std::rc::Rc;

use lru::LruCache;
use url::Url;

use crate::platform::services::Limiter;

/// An organization's API host, as Sentry's `links.regionUrl` gave it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RegionKey {
    /// The control host the question was asked of (a deployment may serve several).
    pub control_host: String,
    /// The organization slug, lowercase.
    pub organization: String,
}

/// One caller's view of one Sentry endpoint, for "rate limit exhausted until" memory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct EndpointKey {
    /// A fingerprint of the caller's token ([`crate::digest::fingerprint`]), never the token.
    pub caller: String,
    pub host: String,
    pub path: String,
}

/// What a `tools/list` answer depends on: the protocol version, the granted skills and the URL
/// constraints, written out by the protocol layer (`mcp::tool_list`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ToolListKey(pub String);

/// One caller's view of an organization's search keys for one dataset (the embedded agent's
/// translation prompt): the caller is a fingerprint of the token, so no caller sees keys read
/// with another's access.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SearchKeysKey {
    pub caller: String,
    pub organization: String,
    pub dataset: &'static str,
}

/// The SHA-256 hex of an authorization code that was redeemed here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RedeemedCode(pub String);

/// A bounded map that forgets the least recently used entry first.
pub(crate) struct Bounded<K: Hash + Eq, V> {
    inner: RefCell<LruCache<K, V>>,
}

impl<K: Hash + Eq, V: Clone> Bounded<K, V> {
    /// A cache of at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self { inner: RefCell::new(LruCache::new(capacity)) }
    }

    /// The value for `key`, marking it as recently used.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.inner.borrow_mut().get(key).cloned()
    }

    /// Whether `key` is present (does not change its recency).
    pub(crate) fn contains(&self, key: &K) -> bool {
        self.inner.borrow().contains(key)
    }

    /// Insert or replace; evicts the least recently used entry when full.
    pub(crate) fn put(&self, key: K, value: V) {
        self.inner.borrow_mut().put(key, value);
    }

    /// How many entries are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.borrow().len()
    }
}

/// Every cache of one isolate or process.
pub(crate) struct Caches {
    /// Organization → API host (`sentry::SentryClient::region_for`).
    pub regions: Bounded<RegionKey, Url>,
    /// Endpoint → the time (ms) until which Sentry said its rate limit is exhausted.
    pub exhausted_until: Bounded<EndpointKey, u64>,
    /// Authorization codes redeemed here recently: KV may not show a redemption made a moment
    /// ago; this closes that window for replays that reach the same isolate (docs/oauth.md).
    pub redeemed_codes: Bounded<RedeemedCode, ()>,
    /// Limiters whose absence was already logged (once per isolate is enough).
    pub absent_limiters_logged: Bounded<LimiterName, ()>,
    /// Complete `tools/list` results, serialised once per distinct answer
    /// (`mcp::tool_list::ResultKey`) and spliced into each response as they are.
    pub tool_lists: Bounded<ToolListKey, Rc<str>>,
    /// An organization's tag keys or dataset attributes, and until when (ms) they are used.
    pub search_keys: Bounded<SearchKeysKey, (u64, Rc<[String]>)>,
}

/// A rate limiter, as a cache key.
pub(crate) type LimiterName = &'static str;

impl Caches {
    /// Empty caches with the production bounds.
    pub(crate) fn new() -> Self {
        Self {
            regions: Bounded::new(2_000),
            exhausted_until: Bounded::new(2_000),
            redeemed_codes: Bounded::new(1_000),
            absent_limiters_logged: Bounded::new(8),
            tool_lists: Bounded::new(64),
            search_keys: Bounded::new(500),
        }
    }

    /// Remember that `limiter` is absent; `true` the first time (when it is worth a log line).
    pub(crate) fn first_absence_of(&self, limiter: Limiter) -> bool {
        let name = limiter.binding_name();
        if self.absent_limiters_logged.contains(&name) {
            return false;
        }
        self.absent_limiters_logged.put(name, ());
        true
    }
}

impl Default for Caches {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let c: Bounded<u32, u32> = Bounded::new(2);
        c.put(1, 10);
        c.put(2, 20);
        assert_eq!(c.get(&1), Some(10)); // 1 is now the most recent
        c.put(3, 30);
        assert_eq!((c.get(&1), c.get(&2), c.get(&3)), (Some(10), None, Some(30)));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn an_absence_is_logged_once_per_limiter() {
        let c = Caches::new();
        assert!(c.first_absence_of(Limiter::PerAddress));
        assert!(!c.first_absence_of(Limiter::PerAddress));
        assert!(c.first_absence_of(Limiter::PerCaller));
    }
}
