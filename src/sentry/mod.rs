//! The Sentry REST API, as the tools need it.
//!
//! [`SentryClient`] is the only code that talks to Sentry. It resolves each organization's region
//! automatically (the model never passes a region URL), refuses region hosts outside the allowed
//! set, encodes every path segment, reads cursor pagination and maps failures to [`SentryError`].
//! [`web_url`] understands the many shapes of Sentry links people paste.

pub(crate) mod client;
pub(crate) mod error;
pub(crate) mod ids;
pub(crate) mod pagination;
pub(crate) mod path;
pub(crate) mod web_url;

pub(crate) use client::{Host, SentryClient, UpstreamSignals};
pub(crate) use error::SentryError;
pub(crate) use path::ApiPath;
