//! The Sentry REST API, as the tools need it.
//!
//! [`SentryClient`] is the only code that talks to Sentry. It resolves each organization's region
//! automatically (the model never passes a region URL), refuses region hosts outside the allowed
//! set, encodes every path segment, reads cursor pagination and maps failures to [`SentryError`].
//! [`web_url`] understands the many shapes of Sentry links people paste.

pub mod client;
pub mod error;
pub mod ids;
pub mod pagination;
pub mod path;
pub mod web_url;

pub use client::{ApiResponse, Host, SentryClient, UpstreamSignals};
pub use error::SentryError;
pub use path::ApiPath;
