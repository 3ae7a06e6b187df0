//! The data an RRSIG covers (RFC 4034 §3.1.8.1, §6) and RRSIG validation
//! (RFC 4035 §5.3).

use std::cmp::Ordering;

use candor_wire::{Dnskey, Name, RData, RType, Record, Rrsig, Serial, Writer};

use crate::backend::Backend;
use crate::error::RrsigError;
use crate::key::PublicKey;
use crate::keytag::key_tag;

/// Build the octets an RRSIG signs: the RRSIG rdata without the signature
/// (signer lowercased), then each distinct RR of the RRset in canonical
/// form and canonical order, with the RRSIG's original TTL, the owner
/// rebuilt as `*.<rightmost labels>` when the labels field is smaller than
/// the owner's label count.
pub fn signed_data(rrsig: &Rrsig, rrset: &[Record]) -> Result<Vec<u8>, RrsigError> {
    let first = rrset.first().ok_or(RrsigError::EmptyRrset)?;
    if rrset.iter().any(|r| r.owner != first.owner || r.rtype() != first.rtype() || r.class != first.class) {
        return Err(RrsigError::MixedRrset);
    }
    let owner_labels = first.owner.rrsig_label_count();
    let labels = usize::from(rrsig.labels);
    if labels > owner_labels {
        return Err(RrsigError::LabelsTooLarge { labels: rrsig.labels, owner_labels, owner: first.owner.clone() });
    }
    let owner =
        if labels < owner_labels { first.owner.trim_to(labels).wildcard()? } else { first.owner.to_lowercase() };
    let owner = owner.to_lowercase();
    let mut rdatas: Vec<Vec<u8>> = rrset.iter().map(|r| r.data.to_canonical()).collect();
    rdatas.sort_unstable();
    rdatas.dedup();
    let total: usize = rdatas.iter().map(|r| owner.wire_len() + 10 + r.len()).sum();
    let mut w = Writer::new(Vec::with_capacity(total + 20 + rrsig.signer.wire_len()));
    rrsig.write_without_signature(&mut w, true);
    for rd in &rdatas {
        w.bytes(owner.as_wire());
        w.u16(first.rtype().0);
        w.u16(first.class.0);
        w.u32(rrsig.original_ttl);
        // Parsed rdata never exceeds 65535 octets; a longer one cannot have
        // been signed either, and fails verification.
        w.u16(u16::try_from(rd.len()).unwrap_or(u16::MAX));
        w.bytes(rd);
    }
    Ok(w.finish())
}

/// The checks of RFC 4035 §5.3.1 and §5.3.3 that need no cryptography:
/// does this RRSIG, with this DNSKEY of zone `key_owner`, at time `now`
/// (seconds since the epoch; compared with RFC 1982 arithmetic), qualify to
/// validate `rrset`?
pub fn check_rrsig(
    rrset: &[Record],
    rrsig: &Rrsig,
    key_owner: &Name,
    key: &Dnskey,
    now: u64,
) -> Result<(), RrsigError> {
    let first = rrset.first().ok_or(RrsigError::EmptyRrset)?;
    if rrsig.type_covered != first.rtype() {
        return Err(RrsigError::TypeMismatch { covered: rrsig.type_covered, rrset: first.rtype() });
    }
    let owner_labels = first.owner.rrsig_label_count();
    if usize::from(rrsig.labels) > owner_labels {
        return Err(RrsigError::LabelsTooLarge { labels: rrsig.labels, owner_labels, owner: first.owner.clone() });
    }
    if !first.owner.is_subdomain_of(&rrsig.signer) {
        return Err(RrsigError::SignerNotAncestor { signer: rrsig.signer.clone(), owner: first.owner.clone() });
    }
    if rrsig.signer != *key_owner {
        return Err(RrsigError::SignerNotKeyOwner { signer: rrsig.signer.clone(), key_owner: key_owner.clone() });
    }
    if rrsig.algorithm != key.algorithm {
        return Err(RrsigError::AlgorithmMismatch { rrsig: rrsig.algorithm, key: key.algorithm });
    }
    let tag = key_tag(key);
    if rrsig.key_tag != tag {
        return Err(RrsigError::KeyTagMismatch { rrsig: rrsig.key_tag, key: tag });
    }
    if key.protocol != 3 {
        return Err(RrsigError::BadProtocol { key_tag: tag, protocol: key.protocol });
    }
    if !key.is_zone_key() {
        return Err(RrsigError::NotZoneKey { key_tag: tag });
    }
    // RFC 5011 §2.1: a revoked key still signs its own DNSKEY RRset, so the
    // revocation can be seen; nothing else.
    if key.is_revoked() {
        let own_dnskey_rrset =
            first.rtype() == RType::DNSKEY && rrset.iter().any(|r| matches!(&r.data, RData::Dnskey(k) if k == key));
        if !own_dnskey_rrset {
            return Err(RrsigError::Revoked { key_tag: tag });
        }
    }
    let (inception, expiration) = (Serial(rrsig.inception), Serial(rrsig.expiration));
    if !matches!(expiration.partial_cmp(&inception), Some(Ordering::Greater | Ordering::Equal)) {
        return Err(RrsigError::ExpirationBeforeInception {
            key_tag: tag,
            inception: rrsig.inception,
            expiration: rrsig.expiration,
        });
    }
    // Wire times are modulo 2^32; so is `now` for the comparison.
    let at = Serial(now as u32);
    let (i, e) = (rrsig.inception, rrsig.expiration);
    if matches!(at.partial_cmp(&inception), Some(Ordering::Less) | None) {
        return Err(RrsigError::NotYetValid { key_tag: tag, inception: i, expiration: e, now });
    }
    if matches!(at.partial_cmp(&expiration), Some(Ordering::Greater) | None) {
        return Err(RrsigError::Expired { key_tag: tag, inception: i, expiration: e, now });
    }
    Ok(())
}

/// Validate `rrset` with `rrsig` and the DNSKEY `key` of zone `key_owner`
/// (already parsed into `public`), at time `now`: the checks of
/// [`check_rrsig`], then the signature through `backend`.
pub fn verify_rrsig(
    rrset: &[Record],
    rrsig: &Rrsig,
    key_owner: &Name,
    key: &Dnskey,
    public: &PublicKey,
    now: u64,
    backend: &Backend,
) -> Result<(), RrsigError> {
    check_rrsig(rrset, rrsig, key_owner, key, now)?;
    let data = signed_data(rrsig, rrset)?;
    if public.verify(backend, &data, &rrsig.signature) {
        Ok(())
    } else {
        Err(RrsigError::BadSignature { key_tag: rrsig.key_tag, algorithm: rrsig.algorithm })
    }
}
