//! Public keys parsed once from DNSKEY rdata, and the algorithm policy.

use candor_wire::{Algorithm, Dnskey};

use std::sync::{Arc, OnceLock};

use crate::backend::{Backend, ParsedRsa, RsaHash};
use crate::error::{KeyError, Unsupported};

/// Which legacy algorithms and key sizes are accepted.
///
/// A runtime value, not a crate feature: `cargo test` unifies features, so
/// a feature could not keep legacy crypto out of `candor serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Accept RSASHA1 (5) and RSASHA1-NSEC3-SHA1 (7). RFC 9905 §2: keep the
    /// code, treat zones using them as insecure by default.
    pub rsasha1: bool,
    /// Accept RSA moduli under 1024 bits (verified with the `rsa` crate,
    /// since `ring` refuses them).
    pub small_rsa: bool,
    /// Accept DSA (3) and DSA-NSEC3-SHA1 (6), withdrawn by RFC 8624: only
    /// for replaying old test corpora.
    pub dsa: bool,
}

impl Policy {
    /// What `candor serve` uses: no RSASHA1, no RSA under 1024 bits.
    pub const PRODUCTION: Policy = Policy { rsasha1: false, small_rsa: false, dsa: false };
    /// For test corpora signed with old keys (replay scenarios, RFC examples).
    pub const LEGACY: Policy = Policy { rsasha1: true, small_rsa: true, dsa: true };
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::PRODUCTION
    }
}

/// A DNSKEY's public key, parsed and checked against a [`Policy`] once, so
/// that each verification starts from ready material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA (RFC 3110 key format), modulus and exponent without leading zeros.
    Rsa {
        /// Hash function.
        hash: RsaHash,
        /// Modulus, big-endian.
        n: Vec<u8>,
        /// Public exponent, big-endian.
        e: Vec<u8>,
        /// The key as a backend parsed it, on first use (shared by clones:
        /// a zone's trusted keys are parsed once while they are kept).
        parsed: ParsedOnce,
    },
    /// ECDSA P-256: the SEC1 uncompressed point `04 || x || y`.
    EcdsaP256(Vec<u8>),
    /// ECDSA P-384: the SEC1 uncompressed point `04 || x || y`.
    EcdsaP384(Vec<u8>),
    /// Ed25519.
    Ed25519([u8; 32]),
    /// Ed448 (RFC 8080: 57 octets).
    Ed448(Box<[u8; 57]>),
    /// DSA (legacy policy only): p, q, g, y, big-endian.
    Dsa([Vec<u8>; 4]),
}

/// An RSA key's parsed form, made on first use by the one backend that
/// parses (AWS-LC) and shared by every clone of the key. It is derived
/// from the modulus and exponent, so it takes no part in equality.
#[derive(Debug, Clone, Default)]
pub struct ParsedOnce(Arc<OnceLock<Option<ParsedRsa>>>);

impl PartialEq for ParsedOnce {
    fn eq(&self, _: &ParsedOnce) -> bool {
        true
    }
}

impl Eq for ParsedOnce {}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(first..).unwrap_or(&[])
}

fn bit_len(b: &[u8]) -> usize {
    match b.first() {
        Some(&top) => (b.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    }
}

impl PublicKey {
    /// Parse `key` under `policy`. Unsupported algorithms, deprecated ones
    /// the policy refuses and RSA keys out of range are
    /// [`KeyError::Unsupported`]; octets that do not fit the format are
    /// [`KeyError::Malformed`].
    pub fn from_dnskey(key: &Dnskey, policy: Policy) -> Result<PublicKey, KeyError> {
        let alg = key.algorithm;
        let pk = key.public_key.as_slice();
        let malformed = |reason| KeyError::Malformed { algorithm: alg, reason };
        match alg {
            Algorithm::RSASHA1 | Algorithm::RSASHA1_NSEC3_SHA1 | Algorithm::RSASHA256 | Algorithm::RSASHA512 => {
                let hash = match alg {
                    Algorithm::RSASHA256 => RsaHash::Sha256,
                    Algorithm::RSASHA512 => RsaHash::Sha512,
                    _ if policy.rsasha1 => RsaHash::Sha1,
                    _ => return Err(Unsupported::Deprecated(alg).into()),
                };
                let (&first, rest) = pk.split_first().ok_or_else(|| malformed("empty key"))?;
                let (e_len, rest) = if first == 0 {
                    let (len, rest) = rest.split_at_checked(2).ok_or_else(|| malformed("short exponent length"))?;
                    (
                        usize::from(u16::from_be_bytes([
                            len.first().copied().unwrap_or(0),
                            len.get(1).copied().unwrap_or(0),
                        ])),
                        rest,
                    )
                } else {
                    (usize::from(first), rest)
                };
                let (e, n) = rest.split_at_checked(e_len).ok_or_else(|| malformed("exponent runs past the key"))?;
                let (e, n) = (strip_zeros(e), strip_zeros(n));
                if n.is_empty() {
                    return Err(malformed("no modulus"));
                }
                let bits = bit_len(n);
                if bits > 8192 {
                    return Err(Unsupported::RsaKeyTooLarge { bits }.into());
                }
                if bits < 1024 && !policy.small_rsa {
                    return Err(Unsupported::RsaKeyTooSmall { bits }.into());
                }
                let e_bits = bit_len(e);
                let odd = e.last().is_some_and(|b| b & 1 == 1);
                if !(2..=33).contains(&e_bits) || !odd {
                    return Err(Unsupported::RsaExponent { bits: e_bits }.into());
                }
                Ok(PublicKey::Rsa { hash, n: n.to_vec(), e: e.to_vec(), parsed: ParsedOnce::default() })
            }
            Algorithm::ECDSAP256SHA256 | Algorithm::ECDSAP384SHA384 => {
                let want = if alg == Algorithm::ECDSAP256SHA256 { 64 } else { 96 };
                if pk.len() != want {
                    return Err(malformed("wrong length for the curve"));
                }
                let mut point = Vec::with_capacity(want + 1);
                point.push(4);
                point.extend_from_slice(pk);
                Ok(if want == 64 { PublicKey::EcdsaP256(point) } else { PublicKey::EcdsaP384(point) })
            }
            Algorithm::ED25519 => Ok(PublicKey::Ed25519(pk.try_into().map_err(|_| malformed("not 32 octets"))?)),
            Algorithm::ED448 => Ok(PublicKey::Ed448(Box::new(pk.try_into().map_err(|_| malformed("not 57 octets"))?))),
            Algorithm::DSA | Algorithm::DSA_NSEC3_SHA1 if policy.dsa => {
                Ok(PublicKey::Dsa(crate::dsa::parse_key(pk).ok_or_else(|| malformed("not an RFC 2536 DSA key"))?))
            }
            _ => Err(Unsupported::Algorithm(alg).into()),
        }
    }

    /// True when the signature verifies over `msg` with `backend`.
    pub fn verify(&self, backend: &Backend, msg: &[u8], sig: &[u8]) -> bool {
        match self {
            PublicKey::Rsa { hash, n, e, parsed } => {
                if let Some(p) = &backend.rsa_parsed
                    && let Some(key) = parsed.0.get_or_init(|| (p.parse)(*hash, n, e))
                {
                    return (p.verify)(key, msg, sig);
                }
                (backend.rsa)(*hash, n, e, msg, sig)
            }
            PublicKey::EcdsaP256(p) => (backend.p256)(p, msg, sig),
            PublicKey::EcdsaP384(p) => (backend.p384)(p, msg, sig),
            PublicKey::Ed25519(k) => (backend.ed25519)(k, msg, sig),
            PublicKey::Ed448(k) => (backend.ed448)(&k[..], msg, sig),
            PublicKey::Dsa(k) => crate::dsa::verify(k, msg, sig),
        }
    }

    /// RSA modulus size in bits (0 for other algorithms).
    pub fn rsa_bits(&self) -> usize {
        match self {
            PublicKey::Rsa { n, .. } => bit_len(n),
            _ => 0,
        }
    }
}

/// Is `alg` one this crate verifies under `policy`? (Key-size limits are
/// checked per key by [`PublicKey::from_dnskey`].)
pub fn algorithm_supported(alg: Algorithm, policy: Policy) -> bool {
    match alg {
        Algorithm::RSASHA256
        | Algorithm::RSASHA512
        | Algorithm::ECDSAP256SHA256
        | Algorithm::ECDSAP384SHA384
        | Algorithm::ED25519
        | Algorithm::ED448 => true,
        Algorithm::RSASHA1 | Algorithm::RSASHA1_NSEC3_SHA1 => policy.rsasha1,
        Algorithm::DSA | Algorithm::DSA_NSEC3_SHA1 => policy.dsa,
        _ => false,
    }
}
