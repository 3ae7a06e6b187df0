//! # candor-denial
//!
//! NSEC and NSEC3 proofs of non-existence. Given the NSEC/NSEC3 records of
//! a response (whose RRSIGs the validator has already checked) and the zone
//! that signed them, each function says whether a denial holds, as a
//! [`Proof`] value, or what is missing, as a [`DenialError`].
//!
//! | question | function | RFC |
//! |---|---|---|
//! | the name does not exist | [`nxdomain`] | 4035 §5.4, 5155 §8.4 |
//! | the name has no such type (ENT, DS, wildcard) | [`nodata`] | 4035 §5.4, 5155 §8.5-8.7 |
//! | a wildcard answer had no closer match | [`wildcard_answer`] | 4035 §5.3.4, 5155 §8.8 |
//! | a delegation has no DS (insecure child) | [`no_ds`] | 4035 §5.2, 5155 §8.6 |
//!
//! **Owns**: canonical-order covering with wrap-around, bitmap rules, the
//! delegation and DNAME rules, the closest-encloser proof, opt-out, the
//! NSEC3 iteration cap (RFC 9276) and the hash budget (in SHA-1 blocks).
//!
//! **Must not know about**: signatures or hashing (NSEC3 hashes come through
//! [`Nsec3Hasher`]), networks, caches. It knows `candor-wire` only.
//!
//! **Known limitations**: whether the records come from the right zone (the
//! parent for DS) is the validator's check: it passes the signer as `zone`.
//! NSEC3PARAM plays no part (RFC 5155 §4).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod error;
mod hasher;
mod nsec;
mod nsec3;
mod proof;

use candor_wire::{Name, Nsec, Nsec3, RData, RType, Record};

pub use error::DenialError;
pub use hasher::{BudgetHasher, HASH_LEN, Nsec3Hasher, hash_cost_blocks};
pub use proof::{Insecure, Limits, Proof};

use nsec::NsecSet;
use nsec3::{Nsec3Set, Prepared};

/// The denial records of a response, sorted by kind.
enum Kind<'a> {
    Nsec(NsecSet<'a>),
    Nsec3(Nsec3Set<'a>),
    Decided(Proof),
}

fn classify<'a>(
    zone: &'a Name,
    records: &'a [Record],
    limits: &Limits,
    name: &Name,
    what: &'static str,
) -> Result<Kind<'a>, DenialError> {
    let nsec: Vec<(&Name, &Nsec)> = records
        .iter()
        .filter_map(|r| match &r.data {
            RData::Nsec(n) if r.owner.is_subdomain_of(zone) => Some((&r.owner, n)),
            _ => None,
        })
        .collect();
    if !nsec.is_empty() {
        return Ok(Kind::Nsec(NsecSet { zone, records: nsec }));
    }
    let nsec3: Vec<(&Name, &Nsec3)> = records
        .iter()
        .filter_map(|r| match &r.data {
            RData::Nsec3(n) => Some((&r.owner, n)),
            _ => None,
        })
        .collect();
    match Nsec3Set::prepare(zone, &nsec3, limits)? {
        Some(Prepared::Set(s)) => Ok(Kind::Nsec3(s)),
        Some(Prepared::Decided(p)) => Ok(Kind::Decided(p)),
        None => Err(DenialError::NoRecords { zone: zone.clone(), name: name.clone(), what }),
    }
}

/// Prove that `qname` does not exist in `zone` (and no wildcard matches it).
pub fn nxdomain(
    qname: &Name,
    zone: &Name,
    records: &[Record],
    hasher: &mut dyn Nsec3Hasher,
    limits: &Limits,
) -> Result<Proof, DenialError> {
    match classify(zone, records, limits, qname, "does not exist")? {
        Kind::Nsec(s) => s.nxdomain(qname),
        Kind::Nsec3(s) => s.nxdomain(hasher, qname),
        Kind::Decided(p) => Ok(p),
    }
}

/// Prove that `qname` has no `qtype` records in `zone`: a matching record
/// lacking the type, an empty non-terminal, or a wildcard lacking it; for
/// DS, also an NSEC3 opt-out span ([`Proof::OptOut`]).
pub fn nodata(
    qname: &Name,
    qtype: RType,
    zone: &Name,
    records: &[Record],
    hasher: &mut dyn Nsec3Hasher,
    limits: &Limits,
) -> Result<Proof, DenialError> {
    match classify(zone, records, limits, qname, "lacks the type")? {
        Kind::Nsec(s) => s.nodata(qname, qtype),
        Kind::Nsec3(s) => s.nodata(hasher, qname, qtype),
        Kind::Decided(p) => Ok(p),
    }
}

/// Prove that a wildcard answer for `qname`, signed with RRSIG labels
/// `labels`, had no closer match.
pub fn wildcard_answer(
    qname: &Name,
    labels: u8,
    zone: &Name,
    records: &[Record],
    hasher: &mut dyn Nsec3Hasher,
    limits: &Limits,
) -> Result<Proof, DenialError> {
    let labels = usize::from(labels);
    match classify(zone, records, limits, qname, "had no closer match")? {
        Kind::Nsec(s) => s.wildcard_answer(qname, labels),
        Kind::Nsec3(s) => s.wildcard_answer(hasher, qname, labels),
        Kind::Decided(p) => Ok(p),
    }
}

/// Prove, from the parent `zone`'s records in a referral, that the
/// delegation `delegation` has no DS: [`Proof::NoDs`], or
/// [`Proof::OptOut`] when an opt-out span covers it.
pub fn no_ds(
    delegation: &Name,
    zone: &Name,
    records: &[Record],
    hasher: &mut dyn Nsec3Hasher,
    limits: &Limits,
) -> Result<Proof, DenialError> {
    match classify(zone, records, limits, delegation, "has no DS")? {
        Kind::Nsec(s) => s.no_ds(delegation),
        Kind::Nsec3(s) => s.no_ds(hasher, delegation),
        Kind::Decided(p) => Ok(p),
    }
}
