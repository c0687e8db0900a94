//! Hex and SHA-256: the one place where ids, stored hashes and fingerprints are encoded.
//!
//! Secrets are never stored or logged; what is kept instead is a digest of them. Everything that
//! turns bytes into lowercase hex (random ids, stored token hashes, rate-limit keys, telemetry
//! ids) goes through here, so the encodings cannot drift apart.

use sha2::{Digest, Sha256};

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Lowercase hex of SHA-256(`data`): how codes, tokens and client secrets are stored.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// A stable, non-reversible identifier for a secret or personal value (`kind:` + 16 hex digits
/// of its SHA-256): rate-limit keys, caller and organization ids in telemetry. Never the value.
pub(crate) fn fingerprint(kind: &str, value: &str) -> String {
    format!("{kind}:{}", hex(&Sha256::digest(value.as_bytes())[..8]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_and_padded() {
        assert_eq!(hex(&[0, 1, 0xab, 0xff]), "0001abff");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn fingerprints_hide_what_they_identify() {
        let k = fingerprint("token", "sntryu_secret");
        assert!(k.starts_with("token:") && !k.contains("sntryu") && k.len() == "token:".len() + 16);
        assert_eq!(k, fingerprint("token", "sntryu_secret"));
        assert_ne!(k, fingerprint("token", "other"));
    }
}
