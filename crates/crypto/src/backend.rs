//! Crypto backends as static values: one table of verify functions for
//! `ring` (assembly-backed, the production path) and one for the RustCrypto
//! crates (`rsa`, `p256`, `p384`, `ed25519-dalek`), which cross-check ring
//! in tests and verify RSA keys under 1024 bits that ring refuses.

use ring::signature as rs;

/// The hash an RSA algorithm signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsaHash {
    /// Algorithms 5 and 7.
    Sha1,
    /// Algorithm 8.
    Sha256,
    /// Algorithm 10.
    Sha512,
}

/// RSA PKCS#1 v1.5 verification: hash, modulus, exponent, message, signature.
pub type RsaVerify = fn(RsaHash, &[u8], &[u8], &[u8], &[u8]) -> bool;

/// A table of signature verifiers. Each returns true only when the
/// signature is valid for the key and message.
pub struct Backend {
    /// Name, for reports.
    pub name: &'static str,
    /// RSA PKCS#1 v1.5: hash, modulus, exponent, message, signature.
    pub rsa: RsaVerify,
    /// ECDSA P-256/SHA-256: SEC1 point, message, `r || s`.
    pub p256: fn(&[u8], &[u8], &[u8]) -> bool,
    /// ECDSA P-384/SHA-384: SEC1 point, message, `r || s`.
    pub p384: fn(&[u8], &[u8], &[u8]) -> bool,
    /// Ed25519: key, message, signature.
    pub ed25519: fn(&[u8], &[u8], &[u8]) -> bool,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// The production backend.
pub static RING: Backend = Backend {
    name: "ring",
    rsa: ring_rsa,
    p256: |p, m, s| rs::UnparsedPublicKey::new(&rs::ECDSA_P256_SHA256_FIXED, p).verify(m, s).is_ok(),
    p384: |p, m, s| rs::UnparsedPublicKey::new(&rs::ECDSA_P384_SHA384_FIXED, p).verify(m, s).is_ok(),
    ed25519: |k, m, s| rs::UnparsedPublicKey::new(&rs::ED25519, k).verify(m, s).is_ok(),
};

/// The pure-Rust backend.
pub static RUST_CRYPTO: Backend = Backend {
    name: "rustcrypto",
    rsa: rustcrypto_rsa,
    p256: |p, m, s| {
        use p256::ecdsa::signature::Verifier;
        let (Ok(key), Ok(sig)) = (p256::ecdsa::VerifyingKey::from_sec1_bytes(p), p256::ecdsa::Signature::from_slice(s))
        else {
            return false;
        };
        key.verify(m, &sig).is_ok()
    },
    p384: |p, m, s| {
        use p384::ecdsa::signature::Verifier;
        let (Ok(key), Ok(sig)) = (p384::ecdsa::VerifyingKey::from_sec1_bytes(p), p384::ecdsa::Signature::from_slice(s))
        else {
            return false;
        };
        key.verify(m, &sig).is_ok()
    },
    ed25519: |k, m, s| {
        use ed25519_dalek::Verifier;
        let (Ok(k), Ok(s)) = (<&[u8; 32]>::try_from(k), ed25519_dalek::Signature::from_slice(s)) else {
            return false;
        };
        ed25519_dalek::VerifyingKey::from_bytes(k).is_ok_and(|key| key.verify(m, &s).is_ok())
    },
};

fn ring_rsa(hash: RsaHash, n: &[u8], e: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let at_least_1024_bits = n.len() > 128 || (n.len() == 128 && n.first().is_some_and(|&b| b >= 0x80));
    if !at_least_1024_bits {
        // ring refuses moduli under 1024 bits; the policy already allowed
        // this key, so the legacy verifier takes it.
        return rustcrypto_rsa(hash, n, e, msg, sig);
    }
    let params = match hash {
        RsaHash::Sha1 => &rs::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        RsaHash::Sha256 => &rs::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        RsaHash::Sha512 => &rs::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
    };
    rs::RsaPublicKeyComponents { n, e }.verify(params, msg, sig).is_ok()
}

fn rustcrypto_rsa(hash: RsaHash, n: &[u8], e: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
    use sha2::Digest;
    let Ok(key) = RsaPublicKey::new_with_max_size(BigUint::from_bytes_be(n), BigUint::from_bytes_be(e), 8192) else {
        return false;
    };
    match hash {
        RsaHash::Sha1 => key.verify(Pkcs1v15Sign::new::<sha1::Sha1>(), &sha1::Sha1::digest(msg), sig),
        RsaHash::Sha256 => key.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), &sha2::Sha256::digest(msg), sig),
        RsaHash::Sha512 => key.verify(Pkcs1v15Sign::new::<sha2::Sha512>(), &sha2::Sha512::digest(msg), sig),
    }
    .is_ok()
}
