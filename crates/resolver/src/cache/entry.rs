//! What the caches hold: an answer with its verdict, an RRset with its
//! verdict, a group of verified denial records; and the small rules every
//! cache shares (what a flush reaches, how long a negative answer lives).

use std::time::Duration;

use candor_wire::{Name, RData, RType, Rcode, Record};

use crate::security::{Resolution, Security};

pub(crate) type Key = (Name, RType);

pub(crate) struct Entry {
    pub(crate) resolution: Resolution,
    pub(crate) stored: Duration,
    pub(crate) expires: Duration,
    /// When a refresh of this (expired) entry last failed, and why: it is
    /// served stale without asking again for a while (RFC 8767's recheck
    /// timer).
    pub(crate) refresh_failed: Option<(Duration, String)>,
    /// A prefetch of it was started (once per entry).
    pub(crate) prefetched: std::sync::atomic::AtomicBool,
}

impl Entry {
    pub(crate) fn new(resolution: Resolution, stored: Duration, expires: Duration) -> Entry {
        Entry { resolution, stored, expires, refresh_failed: None, prefetched: Default::default() }
    }

    /// Is `now` in the last tenth of its life (at least its last second,
    /// at most its second half), when a client's question refreshes it
    /// ahead of expiry?
    pub(crate) fn due_for_prefetch(&self, now: Duration) -> bool {
        let life = self.expires.saturating_sub(self.stored);
        let window = (life / 10).max(Duration::from_secs(1)).min(life / 2);
        matches!(self.resolution.security, Security::Secure | Security::Insecure(_))
            && now < self.expires
            && now.saturating_add(window) >= self.expires
    }

    /// May it be served stale (expired, within `window` of its expiry)?
    /// Never a failure: bogus data and SERVFAILs are not served stale.
    pub(crate) fn servable_stale(&self, now: Duration, window: Option<Duration>) -> bool {
        let ok = matches!(self.resolution.security, Security::Secure | Security::Insecure(_));
        ok && window.is_some_and(|w| now < self.expires.saturating_add(w))
    }
}

/// One cached RRset with its RRSIGs.
pub(crate) struct RrsetEntry {
    pub(crate) records: Vec<Record>,
    pub(crate) security: Security,
    pub(crate) stored: Duration,
    pub(crate) expires: Duration,
}

/// One answer's verified denial records.
pub(crate) struct ProofGroup {
    pub(crate) records: Vec<Record>,
    pub(crate) expires: Duration,
}

/// Is `name` dropped by a flush of `zone` (its subtree, or the name alone)?
pub(crate) fn flushed(name: &Name, zone: &Name, subtree: bool) -> bool {
    if subtree { name.is_subdomain_of(zone) } else { name == zone }
}

/// The TTL a set of records may be kept: their smallest TTL, or for a
/// negative answer the SOA's minimum field capped by its TTL (RFC 2308).
pub(crate) fn min_ttl(records: &[Record], rcode: Rcode) -> u32 {
    let negative = rcode == Rcode::NXDOMAIN || records.iter().any(|r| r.rtype() == RType::SOA);
    if negative {
        return records
            .iter()
            .find_map(|r| match &r.data {
                RData::Soa(s) => Some(s.minimum.min(r.ttl)),
                _ => None,
            })
            .unwrap_or(0);
    }
    records.iter().map(|r| r.ttl).min().unwrap_or(0)
}
