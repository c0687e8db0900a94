//! Signed, expiring payloads: the consent form's state, the `state` sent to Sentry and the cookies.
//!
//! Format: `base64url(JSON) "." base64url(HMAC-SHA256(key, purpose "." base64url(JSON)))`. The
//! purpose is part of the MAC, so a value minted for one use (a cookie) is refused for another (a
//! state). Every payload carries its expiry; verification is constant-time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::crypto::{self, Key};
use super::records::UnixMillis;

/// Why a signed value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SignedError {
    /// Not our format, or the signature does not match (tampered, other key, other purpose).
    #[error("the signed value is not valid")]
    Invalid,
    /// Authentic but past its expiry.
    #[error("the signed value has expired")]
    Expired,
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    /// Expiry.
    exp: UnixMillis,
    data: T,
}

fn mac(key: &Key, purpose: &str, body: &str) -> String {
    URL_SAFE_NO_PAD.encode(crypto::hmac_sha256(key, format!("{purpose}.{body}").as_bytes()))
}

/// Sign `data` for `purpose`, valid until `exp_ms`.
pub(crate) fn sign<T: Serialize>(key: &Key, purpose: &str, data: &T, exp: UnixMillis) -> String {
    let json = serde_json::to_vec(&Envelope { exp, data }).expect("serialisable");
    let body = URL_SAFE_NO_PAD.encode(json);
    let sig = mac(key, purpose, &body);
    format!("{body}.{sig}")
}

/// Verify and decode a value made by [`sign`] with the same key and purpose.
pub(crate) fn verify<T: DeserializeOwned>(
    key: &Key,
    purpose: &str,
    value: &str,
    now: UnixMillis,
) -> Result<T, SignedError> {
    let (body, sig) = value.trim().split_once('.').ok_or(SignedError::Invalid)?;
    if !crypto::ct_eq(&mac(key, purpose, body), sig) {
        return Err(SignedError::Invalid);
    }
    let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| SignedError::Invalid)?;
    let envelope: Envelope<T> = serde_json::from_slice(&json).map_err(|_| SignedError::Invalid)?;
    if envelope.exp.is_past(now) {
        return Err(SignedError::Expired);
    }
    Ok(envelope.data)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: Key = [7u8; 32];

    #[test]
    fn round_trip_tamper_purpose_and_expiry() {
        let s = sign(&KEY, "state", &vec!["a".to_string()], UnixMillis(2_000));
        assert_eq!(verify::<Vec<String>>(&KEY, "state", &s, UnixMillis(1_000)).unwrap(), vec!["a"]);
        assert_eq!(
            verify::<Vec<String>>(&KEY, "state", &s, UnixMillis(2_000)),
            Err(SignedError::Expired)
        );
        assert_eq!(
            verify::<Vec<String>>(&KEY, "cookie", &s, UnixMillis(1_000)),
            Err(SignedError::Invalid)
        );
        assert_eq!(
            verify::<Vec<String>>(&[8u8; 32], "state", &s, UnixMillis(1_000)),
            Err(SignedError::Invalid)
        );
        let (body, sig) = s.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"exp":99999999,"data":["b"]}"#);
        assert_eq!(
            verify::<Vec<String>>(&KEY, "state", &format!("{forged}.{sig}"), UnixMillis(1_000)),
            Err(SignedError::Invalid)
        );
        assert_eq!(
            verify::<Vec<String>>(&KEY, "state", body, UnixMillis(1_000)),
            Err(SignedError::Invalid)
        );
    }
}
