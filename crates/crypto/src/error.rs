//! Typed errors, each carrying the numbers an operator needs.

use candor_wire::{Algorithm, Name, RType, Timestamp};

/// Why a key, algorithm or digest type cannot be used. The validator treats
/// a zone whose only keys or DS records are unsupported as insecure, never
/// bogus.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unsupported {
    /// Not implemented here (RSAMD5, DSA, GOST, unassigned numbers).
    #[error("algorithm {0} ({n}) is not supported", n = .0.0)]
    Algorithm(Algorithm),
    /// RSASHA1 and RSASHA1-NSEC3-SHA1: implemented, but off by policy (RFC 9905).
    #[error("algorithm {0} ({n}) is disabled by policy (RFC 9905)", n = .0.0)]
    Deprecated(Algorithm),
    /// An RSA modulus under 1024 bits while the legacy policy is off.
    #[error("RSA key of {bits} bits is smaller than 1024 bits")]
    RsaKeyTooSmall {
        /// Modulus size.
        bits: usize,
    },
    /// An RSA modulus over 8192 bits.
    #[error("RSA key of {bits} bits is larger than 8192 bits")]
    RsaKeyTooLarge {
        /// Modulus size.
        bits: usize,
    },
    /// An RSA exponent that is even, below 3 or over 33 bits.
    #[error("RSA public exponent of {bits} bits is not usable (odd, 3 to 2^33-1)")]
    RsaExponent {
        /// Exponent size.
        bits: usize,
    },
    /// A DS digest type that is not implemented (GOST, unassigned).
    #[error("DS digest type {0} is not supported")]
    DigestType(u8),
}

/// Why a DNSKEY could not be turned into a usable public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The algorithm or key is not supported: insecure, not bogus.
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
    /// The key octets do not fit the algorithm's format.
    #[error("malformed {algorithm} key: {reason}")]
    Malformed {
        /// The algorithm.
        algorithm: Algorithm,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Why an RRSIG does not validate an RRset with a given DNSKEY.
///
/// The checks of RFC 4035 §5.3.1 come first, each its own variant, then
/// the signature itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RrsigError {
    /// No records to verify.
    #[error("empty RRset")]
    EmptyRrset,
    /// Records of different owners, types or classes.
    #[error("the RRset mixes owners, types or classes")]
    MixedRrset,
    /// The RRSIG covers another type.
    #[error("RRSIG covers {covered}, the RRset is {rrset}")]
    TypeMismatch {
        /// Type covered.
        covered: RType,
        /// The RRset's type.
        rrset: RType,
    },
    /// The labels field is larger than the owner's label count.
    #[error("RRSIG labels field {labels} is larger than the {owner_labels} labels of {owner}")]
    LabelsTooLarge {
        /// Labels field.
        labels: u8,
        /// Owner's label count.
        owner_labels: usize,
        /// The owner.
        owner: Name,
    },
    /// The signer is not the owner or one of its ancestors.
    #[error("signer {signer} is not {owner} or an ancestor of it")]
    SignerNotAncestor {
        /// Signer name.
        signer: Name,
        /// RRset owner.
        owner: Name,
    },
    /// The signer is not the zone whose DNSKEY is used.
    #[error("signer {signer} is not the zone apex {key_owner} of the DNSKEY")]
    SignerNotKeyOwner {
        /// Signer name.
        signer: Name,
        /// Owner of the DNSKEY.
        key_owner: Name,
    },
    /// Algorithm differs between RRSIG and DNSKEY.
    #[error("RRSIG algorithm {rrsig} does not match DNSKEY algorithm {key}", rrsig = .rrsig.0, key = .key.0)]
    AlgorithmMismatch {
        /// RRSIG algorithm.
        rrsig: Algorithm,
        /// DNSKEY algorithm.
        key: Algorithm,
    },
    /// Key tag differs between RRSIG and DNSKEY.
    #[error("RRSIG key tag {rrsig} does not match DNSKEY key tag {key}")]
    KeyTagMismatch {
        /// RRSIG key tag.
        rrsig: u16,
        /// DNSKEY key tag.
        key: u16,
    },
    /// DNSKEY protocol is not 3.
    #[error("DNSKEY {key_tag} has protocol {protocol}, not 3")]
    BadProtocol {
        /// Key tag.
        key_tag: u16,
        /// Protocol field.
        protocol: u8,
    },
    /// The zone-key bit is clear (EDE 11).
    #[error("DNSKEY {key_tag} does not have the zone-key bit set")]
    NotZoneKey {
        /// Key tag.
        key_tag: u16,
    },
    /// The key is revoked (RFC 5011) and signs something other than its own DNSKEY RRset.
    #[error("DNSKEY {key_tag} is revoked")]
    Revoked {
        /// Key tag.
        key_tag: u16,
    },
    /// Expiration earlier than inception (EDE 25).
    #[error("RRSIG by key {key_tag} expires {} before its inception {}", Timestamp(*.expiration), Timestamp(*.inception))]
    ExpirationBeforeInception {
        /// Key tag.
        key_tag: u16,
        /// Inception.
        inception: u32,
        /// Expiration.
        expiration: u32,
    },
    /// Now is after expiration (EDE 7).
    #[error("RRSIG by key {key_tag} expired {} (now {})", Timestamp(*.expiration), Timestamp(*.now as u32))]
    Expired {
        /// Key tag.
        key_tag: u16,
        /// Inception.
        inception: u32,
        /// Expiration.
        expiration: u32,
        /// The validation time.
        now: u64,
    },
    /// Now is before inception (EDE 8).
    #[error("RRSIG by key {key_tag} is not valid before {} (now {})", Timestamp(*.inception), Timestamp(*.now as u32))]
    NotYetValid {
        /// Key tag.
        key_tag: u16,
        /// Inception.
        inception: u32,
        /// Expiration.
        expiration: u32,
        /// The validation time.
        now: u64,
    },
    /// The key cannot be used.
    #[error("DNSKEY {key_tag}: {error}")]
    Key {
        /// Key tag.
        key_tag: u16,
        /// Why.
        error: KeyError,
    },
    /// The signature does not verify (EDE 6).
    #[error("signature by key {key_tag} algorithm {a} does not verify", a = .algorithm.0)]
    BadSignature {
        /// Key tag.
        key_tag: u16,
        /// Algorithm.
        algorithm: Algorithm,
    },
    /// The name made for a wildcard owner was too long.
    #[error("cannot rebuild the wildcard owner: {0}")]
    Name(#[from] candor_wire::NameError),
}
