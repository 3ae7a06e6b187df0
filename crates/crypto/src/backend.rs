//! Crypto backends as static values: tables of verify functions for
//! `ring` (assembly-backed), for `aws-lc-rs` (AWS-LC, whose RSA keys can be
//! parsed once and kept), and for the RustCrypto crates (`rsa`, `p256`,
//! `p384`, `ed25519-dalek`), which cross-check the others in tests and
//! verify RSA keys under 1024 bits that ring and AWS-LC refuse.
//! [`PRODUCTION`] takes RSA from AWS-LC (its parsed keys make it the
//! fastest here) and the curves from ring.

use std::sync::Arc;

use aws_lc_rs::signature as aws;
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

/// An RSA public key a backend parsed once, for many verifications.
#[derive(Clone)]
pub struct ParsedRsa(Arc<aws::ParsedPublicKey>);

impl std::fmt::Debug for ParsedRsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParsedRsa")
    }
}

/// RSA with keys parsed once: parse (hash, modulus, exponent; `None` when
/// the backend will not take the key), then verify message and signature.
pub struct RsaParsing {
    /// Parse a key.
    pub parse: fn(RsaHash, &[u8], &[u8]) -> Option<ParsedRsa>,
    /// Verify with a parsed key.
    pub verify: fn(&ParsedRsa, &[u8], &[u8]) -> bool,
}

/// A table of signature verifiers. Each returns true only when the
/// signature is valid for the key and message.
pub struct Backend {
    /// Name, for reports.
    pub name: &'static str,
    /// RSA PKCS#1 v1.5: hash, modulus, exponent, message, signature.
    pub rsa: RsaVerify,
    /// RSA with keys parsed once, where the backend can (used first; a key
    /// it will not parse goes to [`Backend::rsa`]).
    pub rsa_parsed: Option<RsaParsing>,
    /// ECDSA P-256/SHA-256: SEC1 point, message, `r || s`.
    pub p256: fn(&[u8], &[u8], &[u8]) -> bool,
    /// ECDSA P-384/SHA-384: SEC1 point, message, `r || s`.
    pub p384: fn(&[u8], &[u8], &[u8]) -> bool,
    /// Ed25519: key, message, signature.
    pub ed25519: fn(&[u8], &[u8], &[u8]) -> bool,
    /// Ed448: key, message, signature (`ed448-goldilocks` in every table:
    /// neither ring nor AWS-LC has Ed448).
    pub ed448: fn(&[u8], &[u8], &[u8]) -> bool,
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
    rsa_parsed: None,
    p256: |p, m, s| rs::UnparsedPublicKey::new(&rs::ECDSA_P256_SHA256_FIXED, p).verify(m, s).is_ok(),
    p384: |p, m, s| rs::UnparsedPublicKey::new(&rs::ECDSA_P384_SHA384_FIXED, p).verify(m, s).is_ok(),
    ed25519: |k, m, s| rs::UnparsedPublicKey::new(&rs::ED25519, k).verify(m, s).is_ok(),
    ed448: rustcrypto_ed448,
};

/// The pure-Rust backend.
pub static RUST_CRYPTO: Backend = Backend {
    name: "rustcrypto",
    rsa: rustcrypto_rsa,
    rsa_parsed: None,
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
    ed448: rustcrypto_ed448,
};

/// Ed448 (RFC 8032 "Ed448", empty context) by `ed448-goldilocks`.
fn rustcrypto_ed448(k: &[u8], m: &[u8], s: &[u8]) -> bool {
    let (Ok(k), Ok(s)) = (<&[u8; 57]>::try_from(k), ed448_goldilocks::Signature::try_from(s)) else {
        return false;
    };
    ed448_goldilocks::VerifyingKey::from_bytes(k).is_ok_and(|key| key.verify_raw(&s, m).is_ok())
}

/// AWS-LC throughout, RSA keys parsed once.
pub static AWS_LC: Backend = Backend {
    name: "aws-lc",
    rsa: aws_rsa,
    rsa_parsed: Some(RsaParsing { parse: aws_parse_rsa, verify: |k, m, s| k.0.verify_sig(m, s).is_ok() }),
    p256: |p, m, s| aws::UnparsedPublicKey::new(&aws::ECDSA_P256_SHA256_FIXED, p).verify(m, s).is_ok(),
    p384: |p, m, s| aws::UnparsedPublicKey::new(&aws::ECDSA_P384_SHA384_FIXED, p).verify(m, s).is_ok(),
    ed25519: |k, m, s| aws::UnparsedPublicKey::new(&aws::ED25519, k).verify(m, s).is_ok(),
    ed448: rustcrypto_ed448,
};

/// What the validator uses: RSA from AWS-LC with keys parsed once, the
/// curves from ring.
pub static PRODUCTION: Backend = Backend {
    name: "aws-lc rsa + ring",
    rsa: aws_rsa,
    rsa_parsed: Some(RsaParsing { parse: aws_parse_rsa, verify: |k, m, s| k.0.verify_sig(m, s).is_ok() }),
    p256: |p, m, s| rs::UnparsedPublicKey::new(&rs::ECDSA_P256_SHA256_FIXED, p).verify(m, s).is_ok(),
    p384: |p, m, s| rs::UnparsedPublicKey::new(&rs::ECDSA_P384_SHA384_FIXED, p).verify(m, s).is_ok(),
    ed25519: |k, m, s| rs::UnparsedPublicKey::new(&rs::ED25519, k).verify(m, s).is_ok(),
    ed448: rustcrypto_ed448,
};

/// Moduli of 1024 bits or more (what ring and AWS-LC take).
fn at_least_1024_bits(n: &[u8]) -> bool {
    n.len() > 128 || (n.len() == 128 && n.first().is_some_and(|&b| b >= 0x80))
}

fn aws_params(hash: RsaHash) -> &'static aws::RsaParameters {
    match hash {
        RsaHash::Sha1 => &aws::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        RsaHash::Sha256 => &aws::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        RsaHash::Sha512 => &aws::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
    }
}

fn aws_rsa(hash: RsaHash, n: &[u8], e: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    if !at_least_1024_bits(n) {
        return rustcrypto_rsa(hash, n, e, msg, sig);
    }
    aws::RsaPublicKeyComponents { n, e }.verify(aws_params(hash), msg, sig).is_ok()
}

fn aws_parse_rsa(hash: RsaHash, n: &[u8], e: &[u8]) -> Option<ParsedRsa> {
    if !at_least_1024_bits(n) {
        return None;
    }
    aws::ParsedPublicKey::new(aws_params(hash), rsa_public_key_der(n, e)).ok().map(|k| ParsedRsa(Arc::new(k)))
}

/// PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent
/// INTEGER }` in DER, from big-endian octets without leading zeros.
fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn length(out: &mut Vec<u8>, len: usize) {
        match len {
            0..0x80 => out.push(len as u8),
            0x80..0x100 => out.extend_from_slice(&[0x81, len as u8]),
            _ => out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
        }
    }
    fn integer(out: &mut Vec<u8>, v: &[u8]) {
        // A positive INTEGER whose top bit is set takes a leading zero.
        let pad = v.first().is_none_or(|&b| b & 0x80 != 0);
        out.push(0x02);
        length(out, v.len() + usize::from(pad));
        if pad {
            out.push(0);
        }
        out.extend_from_slice(v);
    }
    let mut body = Vec::with_capacity(n.len() + e.len() + 16);
    integer(&mut body, n);
    integer(&mut body, e);
    let mut out = Vec::with_capacity(body.len() + 4);
    out.push(0x30);
    length(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

fn ring_rsa(hash: RsaHash, n: &[u8], e: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    if !at_least_1024_bits(n) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Policy, PublicKey, SigningKey};
    use candor_wire::Algorithm;

    #[test]
    fn aws_lc_parses_rsa_keys_of_either_top_bit_and_verifies_with_the_parsed_key() {
        for seed in [&b"one"[..], b"two", b"three", b"four"] {
            let key = SigningKey::from_seed(Algorithm::RSASHA256, seed).unwrap();
            let Ok(PublicKey::Rsa { hash, n, e, .. }) = PublicKey::from_dnskey(&key.dnskey(256), Policy::PRODUCTION)
            else {
                panic!("not an RSA key")
            };
            let parsed = aws_parse_rsa(hash, &n, &e).expect("the DER encoding is taken");
            let sig = key.sign(b"message").unwrap();
            assert!(k_verify(&parsed, b"message", &sig));
            assert!(!k_verify(&parsed, b"massage", &sig));
            // The DER of a modulus whose top bit is set carries a leading zero.
            let der = rsa_public_key_der(&n, &e);
            assert_eq!(der[..4], [0x30, 0x82, ((der.len() - 4) >> 8) as u8, (der.len() - 4) as u8]);
        }
        assert!(aws_parse_rsa(RsaHash::Sha256, &[0xc5; 64], &[1, 0, 1]).is_none(), "512 bits: not taken");
    }

    fn k_verify(k: &ParsedRsa, m: &[u8], s: &[u8]) -> bool {
        AWS_LC.rsa_parsed.as_ref().is_some_and(|p| (p.verify)(k, m, s))
    }
}
