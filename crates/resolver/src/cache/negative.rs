//! Negative knowledge: secure NXDOMAIN names (RFC 8020: nothing below
//! them exists), the verified NSEC/NSEC3 records of the RFC 8198 store
//! with the wildcards they prove, and the denial groups secure positive
//! answers carried (for DS questions the parent's servers do not answer).

use std::sync::atomic::Ordering;
use std::time::Duration;

use candor_wire::{Name, RData, RType, Record};

use crate::cache::Cache;
use crate::cache::entry::ProofGroup;
use crate::security::{Resolution, Security};
use crate::sync::lock;

/// Proof groups kept per zone.
pub(crate) const PROOF_GROUPS: usize = 8;

impl Cache {
    /// RFC 8198: keep the NSEC/NSEC3 records of `zone` from a verified
    /// section (a referral's proof that a delegation has no DS, a wildcard
    /// answer's proof), for their signed TTL.
    pub fn learn_nsecs(&self, zone: &Name, section: &[Record], now: Duration, unix_now: u64) {
        if !self.limits.aggressive_nsec {
            return;
        }
        let denial = |t: RType| matches!(t, RType::NSEC | RType::NSEC3);
        let nsecs: Vec<Record> = section
            .iter()
            .filter(|rr| denial(rr.rtype()) || matches!(&rr.data, RData::Rrsig(s) if denial(s.type_covered)))
            .cloned()
            .collect();
        let shortest = nsecs.iter().map(|rr| rr.ttl).min().unwrap_or(0);
        let ttl = self.signed_ttl(shortest, &nsecs, unix_now);
        lock(&self.nsecs).keep_nsecs(zone, &nsecs, now, ttl);
    }

    /// RFC 8198 §5.4: keep a secure wildcard expansion for answers
    /// synthesised later: each expanded RRset of `answers` under its
    /// wildcard's own name (the RRSIGs are the wildcard's), and the NSEC
    /// records of `authority` that proved the expansion. The caller
    /// verified both.
    pub fn learn_wildcard(&self, zone: &Name, answers: &[Record], authority: &[Record], now: Duration, unix_now: u64) {
        if !self.limits.aggressive_nsec {
            return;
        }
        let mut expanded: Vec<(&Name, RType, u8)> = answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Rrsig(s) if usize::from(s.labels) < r.owner.rrsig_label_count() => {
                    Some((&r.owner, s.type_covered, s.labels))
                }
                _ => None,
            })
            .collect();
        expanded.dedup();
        if expanded.is_empty() {
            return;
        }
        for (owner, rtype, labels) in expanded {
            let Ok(wildcard) = owner.trim_to(usize::from(labels)).wildcard() else { continue };
            if !wildcard.is_subdomain_of(zone) {
                continue;
            }
            let covers = |r: &Record| match &r.data {
                RData::Rrsig(s) => s.type_covered == rtype && s.labels == labels,
                _ => r.rtype() == rtype,
            };
            let records: Vec<Record> = answers
                .iter()
                .filter(|r| r.owner == *owner && covers(r))
                .map(|r| Record { owner: wildcard.clone(), ..r.clone() })
                .collect();
            if let Some(ttl) = self.keep_rrset(&records, Security::Secure, now, unix_now) {
                lock(&self.nsecs).note_wildcard(&wildcard, now + ttl);
            }
        }
        self.learn_nsecs(zone, authority, now, unix_now);
    }

    /// The deepest wildcard above `qname` with a secure RRset kept from an
    /// expansion ([`Cache::learn_wildcard`]): the one to synthesise from.
    pub fn wildcard_above(&self, qname: &Name, now: Duration) -> Option<Name> {
        if !self.limits.aggressive_nsec {
            return None;
        }
        lock(&self.nsecs).wildcard_above(qname, now)
    }

    /// RFC 8198 §5.4: the kept proof that `wildcard`'s expansion answers
    /// `qname` (no closer name exists), TTLs counted down, and how long it
    /// holds.
    pub fn expansion_proof(
        &self,
        qname: &Name,
        wildcard: &Name,
        now: Duration,
        limits: &candor_denial::Limits,
        hash_budget: u64,
    ) -> Option<(Vec<Record>, Duration)> {
        if !self.limits.aggressive_nsec {
            return None;
        }
        lock(&self.nsecs).expansion_proof(qname, wildcard, now, limits, hash_budget)
    }

    /// Keep `records`, NSEC/NSEC3 RRsets of `zone` a secure answer carried
    /// and the caller verified, for their signed TTL ([`Cache::proofs`]).
    pub fn learn_proofs(&self, zone: &Name, records: Vec<Record>, now: Duration, unix_now: u64) {
        if !self.limits.aggressive_nsec || records.is_empty() {
            return;
        }
        let shortest = records.iter().map(|rr| rr.ttl).min().unwrap_or(0);
        let ttl = self.signed_ttl(shortest, &records, unix_now);
        if ttl.is_zero() {
            return;
        }
        let mut proofs = lock(&self.proofs);
        let zone = zone.to_lowercase();
        let mut group = Some(ProofGroup { records, expires: now + ttl });
        let updated = proofs.update(&zone, |groups| {
            let Some(g) = group.take() else { return };
            groups.retain(|old| old.expires > now && old.records != g.records);
            if groups.len() >= PROOF_GROUPS {
                groups.remove(0);
            }
            groups.push(g);
        });
        if !updated && let Some(g) = group {
            proofs.put(zone, vec![g]);
        }
    }

    /// The unexpired groups [`Cache::learn_proofs`] kept for `zone`, newest first.
    pub fn proofs(&self, zone: &Name, now: Duration) -> Vec<Vec<Record>> {
        let mut proofs = lock(&self.proofs);
        let mut live = Vec::new();
        proofs.update(&zone.to_lowercase(), |groups| {
            groups.retain(|g| g.expires > now);
            live = groups.iter().rev().map(|g| g.records.clone()).collect();
        });
        live
    }

    /// RFC 8020: a secure NXDOMAIN cached for `qname` (any type) or an
    /// ancestor answers for it too (that proof with it), with its lifetime.
    pub fn nxdomain_above(&self, qname: &Name, now: Duration) -> Option<(Resolution, Duration)> {
        let mut nx = lock(&self.nxdomains);
        if nx.len() == 0 {
            return None;
        }
        let mut name = qname.to_lowercase();
        loop {
            if let Some(e) = nx.get(&name).filter(|e| e.expires > now) {
                let elapsed = now.saturating_sub(e.stored).as_secs() as u32;
                let mut r = e.resolution.clone();
                for rr in r.authority.iter_mut() {
                    rr.ttl = rr.ttl.saturating_sub(elapsed);
                }
                r.from_cache = true;
                return Some((r, e.expires - now));
            }
            name = name.parent()?;
        }
    }

    /// RFC 8198: a secure negative answer the validated NSEC/NSEC3 records
    /// in the cache already prove, with its lifetime.
    pub fn nsec_denial(
        &self,
        qname: &Name,
        qtype: RType,
        now: Duration,
        limits: &candor_denial::Limits,
        hash_budget: u64,
    ) -> Option<(Resolution, Duration)> {
        if !self.limits.aggressive_nsec {
            return None;
        }
        let hit = lock(&self.nsecs).answer(qname, qtype, now, limits, hash_budget);
        if hit.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }
}
