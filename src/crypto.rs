//! The cryptographic primitives, all from well-kept RustCrypto crates: SHA-256 (stored secrets
//! are hashes), HMAC-SHA256 (signatures, key derivation), constant-time comparison, and
//! AES-256-GCM with a random 96-bit nonce (upstream tokens at rest, MCP task ids).
//!
//! One implementation for every layer that needs them: the OAuth server (`crate::oauth`) and the
//! MCP layer's stateless task ids (`crate::mcp::tasks`).
//!
//! Randomness always comes from [`Platform::fill_random`] (the Worker's `crypto.getRandomValues`).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::platform::Platform;

/// A 256-bit symmetric key.
pub(crate) type Key = [u8; 32];

/// SHA-256 of a PKCE verifier, base64url without padding (RFC 7636 S256).
pub(crate) fn pkce_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// HMAC-SHA256(`key`, `data`).
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> Key {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// A sub-key for one purpose, so one secret never signs two kinds of message.
pub(crate) fn derive_key(secret: &[u8], purpose: &str) -> Key {
    hmac_sha256(secret, format!("sentry-mcp-rs/v1/{purpose}").as_bytes())
}

/// Compare two secrets (or their hashes) in constant time.
pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A fresh random key.
pub(crate) fn random_key(platform: &dyn Platform) -> Key {
    let mut k = [0u8; 32];
    platform.fill_random(&mut k);
    k
}

/// AES-256-GCM with a random 96-bit nonce; the output is `base64url(nonce ‖ ciphertext+tag)`.
/// `aad` binds the ciphertext to its context (a grant id, a token hash), so it cannot be moved.
pub(crate) fn seal(platform: &dyn Platform, key: &Key, plaintext: &[u8], aad: &[u8]) -> String {
    let mut nonce = [0u8; 12];
    platform.fill_random(&mut nonce);
    let cipher = Aes256Gcm::new(key.into());
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
        .expect("AES-GCM encryption does not fail for small inputs");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    URL_SAFE_NO_PAD.encode(out)
}

/// Reverse of [`seal`]; `None` if the key, context or data is wrong.
pub(crate) fn open(key: &Key, sealed: &str, aad: &[u8]) -> Option<Vec<u8>> {
    let raw = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    if raw.len() < 12 + 16 {
        return None;
    }
    let (nonce, ct) = raw.split_at(12);
    Aes256Gcm::new(key.into()).decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad }).ok()
}

/// The key that wraps a grant's data key for one token of ours: HMAC-SHA256 keyed by a constant
/// (domain separation) over the token string. Only someone holding the live token can derive it,
/// so a copy of the KV namespace alone decrypts nothing.
pub(crate) fn wrapping_key(token: &str) -> Key {
    hmac_sha256(b"sentry-mcp-rs/v1/token-wrapping-key", token.as_bytes())
}

/// Wrap `data_key` for `token`.
pub(crate) fn wrap_key(platform: &dyn Platform, data_key: &Key, token: &str) -> String {
    seal(platform, &wrapping_key(token), data_key, b"data-key")
}

/// Unwrap a data key with the token it was wrapped for.
pub(crate) fn unwrap_key(wrapped: &str, token: &str) -> Option<Key> {
    open(&wrapping_key(token), wrapped, b"data-key")?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::testing::TestPlatform;

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn seal_uses_fresh_nonces_and_binds_context() {
        let p = TestPlatform::new();
        let key = random_key(&p);
        let a = seal(&p, &key, b"secret", b"grant-1");
        let b = seal(&p, &key, b"secret", b"grant-1");
        assert_ne!(a, b, "every encryption draws a new nonce");
        assert_eq!(open(&key, &a, b"grant-1").unwrap(), b"secret");
        assert!(open(&key, &a, b"grant-2").is_none());
        assert!(open(&random_key(&p), &a, b"grant-1").is_none());
        assert!(open(&key, "garbage", b"grant-1").is_none());
    }

    #[test]
    fn key_wrapping_needs_the_token() {
        let p = TestPlatform::new();
        let dk = random_key(&p);
        let wrapped = wrap_key(&p, &dk, "smcp_at_token");
        assert_eq!(unwrap_key(&wrapped, "smcp_at_token"), Some(dk));
        assert_eq!(unwrap_key(&wrapped, "smcp_at_other"), None);
    }

    #[test]
    fn constant_time_equality() {
        assert!(ct_eq("abc", "abc"));
        assert!(!ct_eq("abc", "abd"));
        assert!(!ct_eq("abc", "abcd"));
    }
}
