//! What a saved copy of the cache holds ([`crate::persist`]): answers and
//! RRsets whose verdict can be checked again (secure: their signatures)
//! or needs none (insecure, with no failure attached), TTLs counted down
//! to the moment of saving, with the time each has left; and putting
//! them back. Failures, bogus data, entries already expired (kept only
//! to be served stale) and informational insecure verdicts (NTAs,
//! unsupported algorithms) are not saved: they are cheap to find again
//! and their reasons would need their own format.

use std::time::Duration;

use candor_wire::{Name, RType, Record};

use crate::cache::Cache;
use crate::security::{Resolution, Security};
use crate::sync::lock;

/// One saved answer.
#[derive(Debug, Clone)]
pub(crate) struct SavedAnswer {
    pub(crate) qname: Name,
    pub(crate) qtype: RType,
    /// TTLs counted down to when it was saved.
    pub(crate) resolution: Resolution,
    /// How much longer it was to be kept.
    pub(crate) left: Duration,
}

/// One saved RRset (with its RRSIGs).
#[derive(Debug, Clone)]
pub(crate) struct SavedRrset {
    pub(crate) records: Vec<Record>,
    pub(crate) security: Security,
    pub(crate) left: Duration,
}

/// Is a verdict one a saved copy keeps?
pub(crate) fn keepable(s: &Security) -> bool {
    matches!(s, Security::Secure | Security::Insecure(None))
}

/// Count the TTLs of `records` down by `elapsed` seconds.
pub(crate) fn age(records: &mut [Record], elapsed: u32) {
    for rr in records {
        rr.ttl = rr.ttl.saturating_sub(elapsed);
    }
}

/// Count the TTLs of every section of `r` down by `elapsed` seconds.
pub(crate) fn age_resolution(r: &mut Resolution, elapsed: u32) {
    age(&mut r.answers, elapsed);
    age(&mut r.authority, elapsed);
    age(&mut r.additional, elapsed);
}

impl Cache {
    /// The answers to save, one shard at a time (each shard is copied
    /// under its lock and handed to `sink` after the lock is let go).
    pub(crate) fn saved_answers(&self, now: Duration, mut sink: impl FnMut(Vec<SavedAnswer>)) {
        for shard in &self.shards {
            let copied: Vec<SavedAnswer> = {
                let s = lock(shard);
                s.iter_oldest_first()
                    .filter(|(_, e)| {
                        e.expires > now && keepable(&e.resolution.security) && e.resolution.stale.is_none()
                    })
                    .map(|((qname, qtype), e)| {
                        let elapsed = now.saturating_sub(e.stored).as_secs() as u32;
                        let mut r = e.resolution.clone();
                        r.from_cache = false;
                        age_resolution(&mut r, elapsed);
                        SavedAnswer { qname: qname.clone(), qtype: *qtype, resolution: r, left: e.expires - now }
                    })
                    .collect()
            };
            sink(copied);
        }
    }

    /// The RRsets kept apart from answers (DS RRsets of the chain, chain
    /// links, NS RRsets) to save.
    pub(crate) fn saved_rrsets(&self, now: Duration) -> Vec<SavedRrset> {
        let rrsets = lock(&self.rrsets);
        rrsets
            .iter_oldest_first()
            .filter(|(_, e)| e.expires > now && keepable(&e.security))
            .map(|(_, e)| {
                let mut records = e.records.clone();
                age(&mut records, now.saturating_sub(e.stored).as_secs() as u32);
                SavedRrset { records, security: e.security.clone(), left: e.expires - now }
            })
            .collect()
    }

    /// Is there a live answer to the question (a saved one is not put
    /// over it)?
    pub(crate) fn holds(&self, qname: &Name, qtype: RType, now: Duration) -> bool {
        let key = (qname.to_lowercase(), qtype);
        lock(self.shard(&key)).peek(&key).is_some_and(|e| e.expires > now)
    }

    /// Put a saved answer back (already checked), kept for what it had
    /// left (`a.left`, aged by the caller) and never longer than its
    /// records and signatures allow now.
    pub(crate) fn restore_answer(&self, a: &SavedAnswer, now: Duration, unix_now: u64) -> bool {
        let ttl = a.left.min(self.ttl(&a.resolution, unix_now));
        if ttl.is_zero() {
            return false;
        }
        self.put_for(&a.qname, a.qtype, &a.resolution, ttl, now, unix_now);
        true
    }

    /// Put a saved RRset back (already checked).
    /// Not over a live RRset kept since start-up.
    pub(crate) fn restore_rrset(&self, r: &SavedRrset, now: Duration, unix_now: u64) -> bool {
        let Some(first) = r.records.iter().find(|x| x.rtype() != RType::RRSIG) else { return false };
        let key = (first.owner.to_lowercase(), first.rtype());
        if lock(&self.rrsets).peek(&key).is_some_and(|e| e.expires > now) {
            return false;
        }
        self.keep_rrset(&r.records, r.security.clone(), now, unix_now).is_some()
    }
}
