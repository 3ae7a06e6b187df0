//! Helpers shared by the crypto test suites.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use candor_crypto::{Backend, Policy, PublicKey, RrsigError, key_tag, verify_rrsig};
use candor_wire::{Dnskey, Name, RData, RType, Record, Rrsig};

/// RRsets of a zone by (owner, type), without the RRSIGs.
pub fn rrsets(records: &[Record]) -> BTreeMap<(Name, RType), Vec<Record>> {
    let mut map: BTreeMap<(Name, RType), Vec<Record>> = BTreeMap::new();
    for r in records.iter().filter(|r| r.rtype() != RType::RRSIG) {
        map.entry((r.owner.clone(), r.rtype())).or_default().push(r.clone());
    }
    map
}

/// Every RRSIG in `records` with its owner.
pub fn rrsigs(records: &[Record]) -> Vec<(Name, Rrsig)> {
    records
        .iter()
        .filter_map(|r| match &r.data {
            RData::Rrsig(s) => Some((r.owner.clone(), s.clone())),
            _ => None,
        })
        .collect()
}

/// Every DNSKEY in `records` with its owner.
pub fn dnskeys(records: &[Record]) -> Vec<(Name, Dnskey)> {
    records
        .iter()
        .filter_map(|r| match &r.data {
            RData::Dnskey(k) => Some((r.owner.clone(), k.clone())),
            _ => None,
        })
        .collect()
}

/// Verify one RRSIG against the zone's records with `backend`.
pub fn verify_one(
    records: &[Record],
    owner: &Name,
    sig: &Rrsig,
    now: u64,
    backend: &Backend,
    policy: Policy,
) -> Result<(), RrsigError> {
    let sets = rrsets(records);
    let rrset = sets.get(&(owner.clone(), sig.type_covered)).cloned().unwrap_or_default();
    let (key_owner, key) = dnskeys(records)
        .into_iter()
        .find(|(o, k)| *o == sig.signer && key_tag(k) == sig.key_tag && k.algorithm == sig.algorithm)
        .unwrap_or_else(|| panic!("no DNSKEY {} for the RRSIG at {owner}", sig.key_tag));
    let public =
        PublicKey::from_dnskey(&key, policy).map_err(|error| RrsigError::Key { key_tag: sig.key_tag, error })?;
    verify_rrsig(&rrset, sig, &key_owner, &key, &public, now, backend)
}

/// Verify every RRSIG of a zone; returns how many verified.
pub fn verify_all(records: &[Record], now: u64, backend: &Backend, policy: Policy) -> usize {
    let sigs = rrsigs(records);
    for (owner, sig) in &sigs {
        verify_one(records, owner, sig, now, backend, policy)
            .unwrap_or_else(|e| panic!("{} RRSIG {owner} {}: {e}", backend.name, sig.type_covered));
    }
    sigs.len()
}
