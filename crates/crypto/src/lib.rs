//! # candor-crypto
//!
//! DNSSEC cryptography: the octets an RRSIG covers, RRSIG validation (the
//! RFC 4035 §5.3.1 checks, each a typed error, then the signature), DS
//! digests, key tags, NSEC3 hashing, and signing for the lab.
//!
//! **Owns**: algorithms 8 and 10 (RSA 1024-8192 bits), 13 and 14 (ECDSA),
//! 15 (Ed25519) and 16 (Ed448, by `ed448-goldilocks` in every table: ring
//! and AWS-LC have none) through backend tables: [`PRODUCTION`] (RSA by AWS-LC,
//! `aws-lc-rs`, with each key parsed once and kept with it; the curves by
//! `ring`), [`RING`] and [`AWS_LC`] whole, and the RustCrypto crates
//! ([`RUST_CRYPTO`]), which cross-check the others in tests and verify the
//! RSA keys under 1024 bits that ring and AWS-LC refuse; RSASHA1 (5, 7)
//! and small RSA keys behind a runtime [`Policy`] (off by default, RFC 9905).
//!
//! **Must not know about**: networks, caches, resolution, the chain of
//! trust, or which EDE code a failure becomes (the resolver maps the typed
//! errors). Time is an input (`now`, seconds since the epoch), never read
//! from the system clock.
//!
//! **Known limitations**: DSA (3, 6, unless the policy allows it), GOST
//! (12) and RSAMD5 (1) are "unsupported" (a zone using only them is
//! insecure). Ed448 rests on a pre-release of `ed448-goldilocks` (pinned
//! exactly; no stable crate verifies Ed448 today), checked against the
//! RFC 8080 examples and OpenSSL.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod backend;
mod ds;
mod dsa;
mod error;
mod key;
mod keytag;
mod nsec3;
mod rrsig;
mod sign;

pub use backend::{AWS_LC, Backend, PRODUCTION, ParsedRsa, RING, RUST_CRYPTO, RsaHash, RsaParsing, RsaVerify};
pub use ds::{digest_supported, ds_digest, ds_matches, make_ds, make_ds_rdata};
pub use error::{KeyError, RrsigError, Unsupported};
pub use key::{ParsedOnce, Policy, PublicKey, algorithm_supported};
pub use keytag::key_tag;
pub use nsec3::{NSEC3_HASH_LEN, nsec3_hash};
pub use rrsig::{check_rrsig, signed_data, verify_rrsig};
pub use sign::{SignError, SigningKey};
