//! The answer cache: bounded (LRU), sharded for concurrent workers, keyed
//! by question. Entries keep their verdict: secure and insecure answers
//! for their TTL (capped by the RRSIG original TTL and expiration),
//! negative answers for the SOA minimum (RFC 2308), bogus results briefly
//! with their failure and records, resolution failures a few seconds
//! (RFC 9520).

pub(crate) mod aggressive;

use std::hash::BuildHasher;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use candor_wire::{Name, RData, RType, Rcode, Record};
use lru::LruCache;

use crate::cache::aggressive::NsecStore;
use crate::security::{Resolution, Security};

/// How long each kind of result may be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Entries in all shards together.
    pub capacity: usize,
    /// Longest TTL kept.
    pub max_ttl: Duration,
    /// How long a bogus result is kept.
    pub bogus_ttl: Duration,
    /// How long a "no answer" (SERVFAIL) result is kept.
    pub servfail_ttl: Duration,
    /// Answer from validated NSEC/NSEC3 records what they already deny,
    /// and from a validated wildcard the names they prove it covers (RFC
    /// 8198), without asking.
    pub aggressive_nsec: bool,
}

impl Default for CacheLimits {
    fn default() -> CacheLimits {
        CacheLimits {
            capacity: 100_000,
            max_ttl: Duration::from_secs(86_400),
            bogus_ttl: Duration::from_secs(60),
            servfail_ttl: Duration::from_secs(5),
            aggressive_nsec: true,
        }
    }
}

/// Counters, for operators.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered.
    pub hits: u64,
    /// Lookups not answered.
    pub misses: u64,
    /// Entries now held.
    pub entries: u64,
    /// Entries pushed out by capacity.
    pub evictions: u64,
}

type Key = (Name, RType);

struct Entry {
    resolution: Resolution,
    stored: Duration,
    expires: Duration,
}

/// The cache.
pub struct Cache {
    shards: [Mutex<LruCache<Key, Entry>>; SHARDS],
    limits: CacheLimits,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
    hasher: std::collections::hash_map::RandomState,
    /// Changes whenever entries are dropped before their time (flushes):
    /// copies of answers kept elsewhere are stale when it moved.
    generation: AtomicU64,
    /// Names proven not to exist (secure NXDOMAIN): nothing below them
    /// exists either (RFC 8020).
    nxdomains: Mutex<std::collections::HashMap<Name, Entry>>,
    /// Validated NSEC and NSEC3 records, for RFC 8198.
    nsecs: Mutex<NsecStore>,
    /// The RRsets of secure and insecure answers, by owner and type, for
    /// other questions they answer (a CNAME asked for itself, a DNAME
    /// rewriting other names, a chain's target).
    rrsets: Mutex<LruCache<Key, RrsetEntry>>,
    /// Verified NSEC and NSEC3 RRsets (with their RRSIGs) that secure
    /// positive answers carried in their authority section, per signing
    /// zone, a group per answer: when the zone's servers later fail to
    /// answer a DS question, a group may still prove the DS absent (a
    /// validated denial proves the same whichever response carried it,
    /// RFC 8198 §4).
    proofs: Mutex<LruCache<Name, Vec<ProofGroup>>>,
}

/// One answer's verified denial records.
struct ProofGroup {
    records: Vec<Record>,
    expires: Duration,
}

/// Proof groups kept per zone, and zones kept.
const PROOF_GROUPS: usize = 8;
const PROOF_ZONES: usize = 1024;

/// One cached RRset with its RRSIGs.
struct RrsetEntry {
    records: Vec<Record>,
    secure: bool,
    stored: Duration,
    expires: Duration,
}

/// Secure NXDOMAIN names remembered at most (the map starts afresh beyond).
const MAX_NXDOMAINS: usize = 10_000;

/// Each cache starts its generations in its own range, so a copy made from
/// one cache never matches another (a reload replaces the resolver).
static INSTANCES: AtomicU64 = AtomicU64::new(0);

const SHARDS: usize = 16;

impl Cache {
    /// An empty cache.
    pub fn new(limits: CacheLimits) -> Cache {
        let per = NonZeroUsize::new((limits.capacity / SHARDS).max(1)).unwrap_or(NonZeroUsize::MIN);
        Cache {
            shards: std::array::from_fn(|_| Mutex::new(LruCache::new(per))),
            limits,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            hasher: std::collections::hash_map::RandomState::new(),
            generation: AtomicU64::new(INSTANCES.fetch_add(1, Ordering::Relaxed) << 32),
            nxdomains: Mutex::new(std::collections::HashMap::new()),
            nsecs: Mutex::new(NsecStore::default()),
            rrsets: Mutex::new(LruCache::new(NonZeroUsize::new(limits.capacity.max(1)).unwrap_or(NonZeroUsize::MIN))),
            proofs: Mutex::new(LruCache::new(NonZeroUsize::new(PROOF_ZONES).unwrap_or(NonZeroUsize::MIN))),
        }
    }

    #[allow(clippy::indexing_slicing, reason = "the index is taken modulo SHARDS, the array's length")]
    fn shard(&self, key: &Key) -> &Mutex<LruCache<Key, Entry>> {
        &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS]
    }

    /// The cached result for a question at monotonic time `now`, TTLs
    /// counted down, marked as coming from the cache.
    pub fn get(&self, qname: &Name, qtype: RType, now: Duration) -> Option<Resolution> {
        self.get_with_lifetime(qname, qtype, now).map(|(r, _)| r)
    }

    /// [`Cache::get`], and how much longer the entry will be kept.
    pub fn get_with_lifetime(&self, qname: &Name, qtype: RType, now: Duration) -> Option<(Resolution, Duration)> {
        let key = (qname.to_lowercase(), qtype);
        let mut shard = lock(self.shard(&key));
        let hit = match shard.get(&key) {
            Some(e) if e.expires > now => {
                let elapsed = (now.saturating_sub(e.stored)).as_secs() as u32;
                let mut r = e.resolution.clone();
                for rr in r.answers.iter_mut().chain(r.authority.iter_mut()).chain(r.additional.iter_mut()) {
                    rr.ttl = rr.ttl.saturating_sub(elapsed);
                }
                r.from_cache = true;
                Some((r, e.expires - now))
            }
            Some(_) => {
                shard.pop(&key);
                None
            }
            None => None,
        };
        let counter = if hit.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        hit
    }

    /// Keep `r` for the question, for as long as its kind allows.
    /// `unix_now` caps secure data at its signatures' expiration.
    pub fn put(&self, qname: &Name, qtype: RType, r: &Resolution, now: Duration, unix_now: u64) {
        let ttl = self.ttl(r, unix_now);
        if ttl.is_zero() {
            return;
        }
        let key = (qname.to_lowercase(), qtype);
        let entry = Entry { resolution: r.clone(), stored: now, expires: now + ttl };
        if r.rcode == Rcode::NXDOMAIN && r.security == Security::Secure && r.answers.is_empty() {
            let mut nx = lock(&self.nxdomains);
            if nx.len() >= MAX_NXDOMAINS {
                nx.clear();
            }
            nx.insert(key.0.clone(), Entry { resolution: r.clone(), stored: now, expires: now + ttl });
        }
        if self.limits.aggressive_nsec {
            lock(&self.nsecs).learn(r, now, ttl);
        }
        self.keep_rrsets(r, now, unix_now);
        let mut shard = lock(self.shard(&key));
        // `push` hands back the entry it displaced: the same key (replaced)
        // or the least recently used one (evicted).
        if let Some((old, _)) = shard.push(key.clone(), entry)
            && old != key
        {
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn ttl(&self, r: &Resolution, unix_now: u64) -> Duration {
        match &r.security {
            Security::Bogus(_) => return self.limits.bogus_ttl,
            Security::Servfail(_) => return self.limits.servfail_ttl,
            _ => {}
        }
        let records = if r.rcode == Rcode::NOERROR && !r.answers.is_empty() { &r.answers } else { &r.authority };
        self.signed_ttl(min_ttl(records, r.rcode), records, unix_now)
    }

    /// `ttl`, capped by the original TTL and the time left of every RRSIG
    /// among `records`, and by the longest TTL kept.
    fn signed_ttl(&self, ttl: u32, records: &[Record], unix_now: u64) -> Duration {
        let mut ttl = u64::from(ttl);
        for rr in records {
            if let RData::Rrsig(s) = &rr.data {
                ttl = ttl.min(u64::from(s.original_ttl));
                let left = u64::from(s.expiration.wrapping_sub(unix_now as u32));
                if left < 1 << 31 {
                    ttl = ttl.min(left);
                }
            }
        }
        Duration::from_secs(ttl).min(self.limits.max_ttl)
    }

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
            if let Some(ttl) = self.keep_rrset(&records, true, now, unix_now) {
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
        let groups = proofs.get_or_insert_mut(zone.to_lowercase(), Vec::new);
        groups.retain(|g| g.expires > now && g.records != records);
        if groups.len() >= PROOF_GROUPS {
            groups.remove(0);
        }
        groups.push(ProofGroup { records, expires: now + ttl });
    }

    /// The unexpired groups [`Cache::learn_proofs`] kept for `zone`, newest first.
    pub fn proofs(&self, zone: &Name, now: Duration) -> Vec<Vec<Record>> {
        let mut proofs = lock(&self.proofs);
        let Some(groups) = proofs.get_mut(&zone.to_lowercase()) else { return Vec::new() };
        groups.retain(|g| g.expires > now);
        groups.iter().rev().map(|g| g.records.clone()).collect()
    }

    /// RFC 8020: a secure NXDOMAIN cached for `qname` (any type) or an
    /// ancestor answers for it too (that proof with it), with its lifetime.
    pub fn nxdomain_above(&self, qname: &Name, now: Duration) -> Option<(Resolution, Duration)> {
        let nx = lock(&self.nxdomains);
        if nx.is_empty() {
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

    /// Keep each RRset of a secure or insecure answer on its own, with its
    /// verdict. Left out: RRsets expanded from a wildcard (their proof is
    /// the answer's, not theirs) and CNAMEs synthesised from a DNAME (the
    /// DNAME is kept).
    fn keep_rrsets(&self, r: &Resolution, now: Duration, unix_now: u64) {
        let secure = match r.security {
            Security::Secure => true,
            Security::Insecure(_) => false,
            _ => return,
        };
        if !matches!(r.rcode, Rcode::NOERROR | Rcode::NXDOMAIN | Rcode::YXDOMAIN) || r.answers.is_empty() {
            return;
        }
        let mut kept: Vec<(Key, RrsetEntry)> = Vec::new();
        // The answer's RRsets; of the other sections, only what a
        // non-minimal answer validated for the zone: its NS RRset and the
        // name servers' addresses (for referrals built from the cache).
        type Wanted = fn(RType) -> bool;
        let sections: [(&[Record], Wanted); 3] = [
            (&r.answers, |_| true),
            (&r.authority, |t| t == RType::NS),
            (&r.additional, |t| matches!(t, RType::A | RType::AAAA)),
        ];
        for (section, wanted) in sections {
            for rr in section.iter().filter(|rr| rr.rtype() != RType::RRSIG && wanted(rr.rtype())) {
                let key = (rr.owner.to_lowercase(), rr.rtype());
                if kept.iter().any(|(k, _)| *k == key) {
                    continue;
                }
                let covers = |x: &Record| match &x.data {
                    RData::Rrsig(s) => x.owner == rr.owner && s.type_covered == rr.rtype(),
                    _ => x.owner == rr.owner && x.rtype() == rr.rtype(),
                };
                let records: Vec<Record> = section.iter().filter(|x| covers(x)).cloned().collect();
                let expanded = records
                    .iter()
                    .any(|x| matches!(&x.data, RData::Rrsig(s) if usize::from(s.labels) < x.owner.rrsig_label_count()));
                let signed = records.iter().any(|x| x.rtype() == RType::RRSIG);
                let synthesised = rr.rtype() == RType::CNAME
                    && !signed
                    && r.answers.iter().any(|d| d.rtype() == RType::DNAME && rr.owner.is_subdomain_of(&d.owner));
                // A secure answer's RRsets are all signed and verified; of an
                // insecure answer's, only the unsigned ones are surely insecure
                // (a signed one may be a secure link of the chain).
                if expanded || synthesised || secure != signed {
                    continue;
                }
                let shortest = records.iter().filter(|x| x.rtype() != RType::RRSIG).map(|x| x.ttl).min().unwrap_or(0);
                let ttl = self.signed_ttl(shortest, &records, unix_now);
                if !ttl.is_zero() {
                    kept.push((key, RrsetEntry { records, secure, stored: now, expires: now + ttl }));
                }
            }
        }
        let mut rrsets = lock(&self.rrsets);
        for (key, entry) in kept {
            rrsets.put(key, entry);
        }
    }

    /// Keep one verified RRset (with its RRSIGs) that came outside an
    /// answer: a DS RRset from a referral.
    /// Returns how long it is kept (`None`: not kept, its TTL is zero).
    pub fn keep_rrset(&self, records: &[Record], secure: bool, now: Duration, unix_now: u64) -> Option<Duration> {
        let first = records.iter().find(|x| x.rtype() != RType::RRSIG)?;
        let key = (first.owner.to_lowercase(), first.rtype());
        let shortest = records.iter().filter(|x| x.rtype() != RType::RRSIG).map(|x| x.ttl).min().unwrap_or(0);
        let ttl = self.signed_ttl(shortest, records, unix_now);
        if ttl.is_zero() {
            return None;
        }
        let entry = RrsetEntry { records: records.to_vec(), secure, stored: now, expires: now + ttl };
        lock(&self.rrsets).put(key, entry);
        Some(ttl)
    }

    /// The cached RRset `owner`/`rtype` (with its RRSIGs, TTLs counted
    /// down), whether it was secure, and how much longer it is kept.
    pub fn rrset(&self, owner: &Name, rtype: RType, now: Duration) -> Option<(Vec<Record>, bool, Duration)> {
        let key = (owner.to_lowercase(), rtype);
        let mut rrsets = lock(&self.rrsets);
        let e = rrsets.get(&key)?;
        if e.expires <= now {
            rrsets.pop(&key);
            return None;
        }
        let elapsed = now.saturating_sub(e.stored).as_secs() as u32;
        let mut records = e.records.clone();
        for rr in &mut records {
            rr.ttl = rr.ttl.saturating_sub(elapsed);
        }
        Some((records, e.secure, e.expires - now))
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

    /// Drop everything at or below `zone` (or exactly `zone` when `!subtree`).
    pub fn flush(&self, zone: &Name, subtree: bool) {
        self.invalidate_copies();
        lock(&self.nsecs).flush(zone, subtree);
        drop_flushed(&mut lock(&self.rrsets), zone, subtree);
        lock(&self.nxdomains).retain(|n, _| !flushed(n, zone, subtree));
        {
            let mut proofs = lock(&self.proofs);
            let gone: Vec<Name> =
                proofs.iter().filter(|(n, _)| flushed(n, zone, subtree)).map(|(n, _)| n.clone()).collect();
            for n in gone {
                proofs.pop(&n);
            }
        }
        for s in &self.shards {
            drop_flushed(&mut lock(s), zone, subtree);
        }
    }

    /// Drop everything.
    pub fn clear(&self) {
        self.invalidate_copies();
        lock(&self.nxdomains).clear();
        lock(&self.nsecs).clear();
        lock(&self.rrsets).clear();
        lock(&self.proofs).clear();
        for s in &self.shards {
            lock(s).clear();
        }
    }

    /// The generation: it changes on every flush, so a copy of an answer
    /// taken at another generation must not be served any more.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Make copies taken so far stale (a flush, or a change that alters
    /// answers without dropping entries).
    pub fn invalidate_copies(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The counters.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.shards.iter().map(|s| lock(s).len() as u64).sum(),
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }
}

/// Is `name` dropped by a flush of `zone` (its subtree, or the name alone)?
pub(crate) fn flushed(name: &Name, zone: &Name, subtree: bool) -> bool {
    if subtree { name.is_subdomain_of(zone) } else { name == zone }
}

/// Drop the entries of `lru` a flush of `zone` takes.
fn drop_flushed<V>(lru: &mut LruCache<Key, V>, zone: &Name, subtree: bool) {
    let gone: Vec<Key> = lru.iter().filter(|((n, _), _)| flushed(n, zone, subtree)).map(|(k, _)| k.clone()).collect();
    for k in gone {
        lru.pop(&k);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The TTL a set of records may be kept: their smallest TTL, or for a
/// negative answer the SOA's minimum field capped by its TTL (RFC 2308).
fn min_ttl(records: &[Record], rcode: Rcode) -> u32 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::{Failure, FailureKind};
    use candor_wire::text::parse_zone;

    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    fn res(rcode: Rcode, answers: &str, authority: &str, security: Security) -> Resolution {
        Resolution {
            rcode,
            answers: parse_zone(answers, None).unwrap(),
            authority: parse_zone(authority, None).unwrap(),
            security,
            from_cache: false,
            additional: Vec::new(),
        }
    }

    const S: Duration = Duration::from_secs(1);

    /// An RRSIG over `owner`/`t` by example. with `labels` labels (fewer
    /// than the owner's: a wildcard expansion).
    fn sig(owner: &str, t: &str, labels: u8) -> String {
        format!("{owner} 300 RRSIG {t} 13 {labels} 300 2000000000 1000000000 1 example. AAAA\n")
    }

    #[test]
    fn positive_answers_live_for_their_ttl_counted_down() {
        let c = Cache::new(CacheLimits::default());
        let r = res(Rcode::NOERROR, "a.example. 300 A 192.0.2.1\na.example. 100 A 192.0.2.2\n", "", Security::Secure);
        c.put(&n("A.example."), RType::A, &r, 10 * S, 0);
        let hit = c.get(&n("a.EXAMPLE."), RType::A, 40 * S).unwrap();
        assert!(hit.from_cache);
        assert_eq!(hit.answers.iter().map(|r| r.ttl).collect::<Vec<_>>(), [270, 70]);
        assert!(c.get(&n("a.example."), RType::A, 110 * S).is_none(), "gone after the smallest TTL");
        assert!(c.get(&n("a.example."), RType::AAAA, 40 * S).is_none());
        assert_eq!(c.stats(), CacheStats { hits: 1, misses: 2, entries: 0, evictions: 0 });
    }

    #[test]
    fn signatures_cap_the_ttl() {
        let c = Cache::new(CacheLimits::default());
        let r = res(
            Rcode::NOERROR,
            "a.example. 3600 A 192.0.2.1\na.example. 3600 RRSIG A 13 2 600 1000100 900000 1 example. AAAA\n",
            "",
            Security::Secure,
        );
        // Original TTL 600, but the signature expires 100 s after now.
        c.put(&n("a.example."), RType::A, &r, Duration::ZERO, 1_000_000);
        assert!(c.get(&n("a.example."), RType::A, 99 * S).is_some());
        assert!(c.get(&n("a.example."), RType::A, 101 * S).is_none());
    }

    #[test]
    fn negative_bogus_and_servfail_lifetimes() {
        let c = Cache::new(CacheLimits::default());
        let soa = "example. 3600 SOA ns.example. h.example. 1 2 3 4 300\n";
        c.put(&n("x.example."), RType::A, &res(Rcode::NXDOMAIN, "", soa, Security::Secure), Duration::ZERO, 0);
        assert!(c.get(&n("x.example."), RType::A, 299 * S).is_some());
        assert!(c.get(&n("x.example."), RType::A, 301 * S).is_none(), "SOA minimum (RFC 2308)");
        let f = Failure::new(FailureKind::SignatureExpired, n("example."), 0);
        c.put(&n("b.example."), RType::A, &res(Rcode::NOERROR, "", "", Security::Bogus(f.clone())), Duration::ZERO, 0);
        let hit = c.get(&n("b.example."), RType::A, 59 * S).unwrap();
        assert_eq!(hit.security, Security::Bogus(f.clone()));
        assert!(c.get(&n("b.example."), RType::A, 61 * S).is_none());
        c.put(&n("s.example."), RType::A, &res(Rcode::SERVFAIL, "", "", Security::Servfail(f)), Duration::ZERO, 0);
        assert!(c.get(&n("s.example."), RType::A, 4 * S).is_some());
        assert!(c.get(&n("s.example."), RType::A, 6 * S).is_none());
    }

    #[test]
    fn a_secure_nxdomain_covers_the_names_below_it() {
        let c = Cache::new(CacheLimits::default());
        let soa = "example. 3600 SOA ns.example. h.example. 1 2 3 4 300\n";
        c.put(&n("x.example."), RType::A, &res(Rcode::NXDOMAIN, "", soa, Security::Secure), Duration::ZERO, 0);
        let (r, left) = c.nxdomain_above(&n("a.b.X.example."), 10 * S).unwrap();
        assert_eq!((r.rcode, r.from_cache, left), (Rcode::NXDOMAIN, true, 290 * S));
        assert!(c.nxdomain_above(&n("x.example."), 10 * S).is_some(), "any type of the name itself");
        assert!(c.nxdomain_above(&n("y.example."), 10 * S).is_none());
        assert!(c.nxdomain_above(&n("a.x.example."), 301 * S).is_none(), "not past its lifetime");
        // Insecure NXDOMAINs prove nothing below them.
        c.put(&n("i.example."), RType::A, &res(Rcode::NXDOMAIN, "", soa, Security::Insecure(None)), Duration::ZERO, 0);
        assert!(c.nxdomain_above(&n("a.i.example."), S).is_none());
        c.flush(&n("example."), true);
        assert!(c.nxdomain_above(&n("a.x.example."), S).is_none(), "flushed");
    }

    #[test]
    fn answer_rrsets_are_kept_on_their_own_with_their_verdict() {
        let c = Cache::new(CacheLimits::default());
        let answers = format!(
            "a.example. 300 CNAME b.example.\n{}b.example. 300 A 192.0.2.1\n{}x.w.example. 300 A 192.0.2.9\n{}",
            sig("a.example.", "CNAME", 2),
            sig("b.example.", "A", 2),
            sig("x.w.example.", "A", 2 /* expanded from *.w.example. */),
        );
        c.put(&n("a.example."), RType::A, &res(Rcode::NOERROR, &answers, "", Security::Secure), Duration::ZERO, 0);
        let (cname, secure, left) = c.rrset(&n("A.example."), RType::CNAME, 10 * S).unwrap();
        assert!(secure && left == 290 * S);
        assert_eq!(cname.len(), 2, "the CNAME and its RRSIG");
        assert!(cname.iter().all(|r| r.ttl == 290));
        assert!(c.rrset(&n("b.example."), RType::A, 10 * S).is_some());
        assert!(c.rrset(&n("x.w.example."), RType::A, 10 * S).is_none(), "wildcard expansion");
        assert!(c.rrset(&n("b.example."), RType::A, 301 * S).is_none(), "expired");

        // A DNAME is kept, the unsigned CNAME it synthesised is not.
        let answers = format!(
            "d.example. 300 DNAME example.net.\n{}q.d.example. 300 CNAME q.example.net.\n",
            sig("d.example.", "DNAME", 2)
        );
        c.put(
            &n("q.d.example."),
            RType::CNAME,
            &res(Rcode::NOERROR, &answers, "", Security::Secure),
            Duration::ZERO,
            0,
        );
        assert!(c.rrset(&n("d.example."), RType::DNAME, S).is_some());
        assert!(c.rrset(&n("q.d.example."), RType::CNAME, S).is_none());

        // Of an insecure answer only the unsigned RRsets (surely insecure);
        // bogus answers leave nothing.
        let answers = format!(
            "s.example. 300 CNAME u.example.org.\n{}u.example.org. 300 A 192.0.2.7\n",
            sig("s.example.", "CNAME", 2)
        );
        c.put(
            &n("s.example."),
            RType::A,
            &res(Rcode::NOERROR, &answers, "", Security::Insecure(None)),
            Duration::ZERO,
            0,
        );
        assert!(c.rrset(&n("s.example."), RType::CNAME, S).is_none());
        assert!(!c.rrset(&n("u.example.org."), RType::A, S).unwrap().1);
        let f = Failure::new(FailureKind::SignatureInvalid, n("example."), 0);
        c.put(
            &n("v.example."),
            RType::A,
            &res(Rcode::NOERROR, "v.example. 300 A 192.0.2.8\n", "", Security::Bogus(f)),
            Duration::ZERO,
            0,
        );
        assert!(c.rrset(&n("v.example."), RType::A, S).is_none());
        c.flush(&n("example."), true);
        assert!(c.rrset(&n("a.example."), RType::CNAME, S).is_none(), "flushed");
        assert!(c.rrset(&n("u.example.org."), RType::A, S).is_some(), "outside the flushed zone");
    }

    #[test]
    fn a_non_minimal_answers_ns_rrset_and_addresses_are_kept_for_referrals() {
        let c = Cache::new(CacheLimits::default());
        let mut r = res(
            Rcode::NOERROR,
            &format!("www.example. 300 A 192.0.2.1\n{}", sig("www.example.", "A", 2)),
            &format!(
                "example. 300 NS ns.example.\n{}example. 300 SOA ns.example. h.example. 1 2 3 4 5\n{}",
                sig("example.", "NS", 1),
                sig("example.", "SOA", 1)
            ),
            Security::Secure,
        );
        r.additional =
            parse_zone(&format!("ns.example. 300 A 192.0.2.53\n{}", sig("ns.example.", "A", 2)), None).unwrap();
        c.put(&n("www.example."), RType::A, &r, Duration::ZERO, 0);
        assert!(c.rrset(&n("example."), RType::NS, S).is_some_and(|(_, secure, _)| secure));
        assert!(c.rrset(&n("ns.example."), RType::A, S).is_some());
        assert!(c.rrset(&n("example."), RType::SOA, S).is_none(), "only NS from the authority section");
    }

    #[test]
    fn capacity_evicts_and_flush_drops() {
        let c = Cache::new(CacheLimits { capacity: SHARDS, ..CacheLimits::default() });
        for i in 0..200 {
            let name = format!("h{i}.example.");
            c.put(
                &n(&name),
                RType::A,
                &res(Rcode::NOERROR, &format!("{name} 300 A 192.0.2.1\n"), "", Security::Secure),
                Duration::ZERO,
                0,
            );
        }
        let st = c.stats();
        assert!(st.entries <= SHARDS as u64 && st.evictions >= 200 - SHARDS as u64, "{st:?}");
        c.flush(&n("example."), true);
        assert_eq!(c.stats().entries, 0);
    }

    #[test]
    fn denial_groups_live_for_their_signed_ttl_and_go_with_a_flush() {
        let c = Cache::new(CacheLimits::default());
        let group = |owner: &str| {
            parse_zone(&format!("{owner} 60 NSEC z.example. NS\n{}", sig(owner, "NSEC", 2)), None).unwrap()
        };
        c.learn_proofs(&n("example."), group("a.example."), Duration::ZERO, 1_500_000_000);
        c.learn_proofs(&n("example."), group("b.example."), Duration::ZERO, 1_500_000_000);
        // The same group again is kept once; newest first.
        c.learn_proofs(&n("example."), group("a.example."), S, 1_500_000_000);
        let got = c.proofs(&n("Example."), 2 * S);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0][0].owner, n("a.example."));
        assert!(c.proofs(&n("other."), S).is_empty());
        // Expired after the records' TTL (60 s) counted from when each was kept.
        assert_eq!(c.proofs(&n("example."), 60 * S).len(), 1);
        assert!(c.proofs(&n("example."), 61 * S).is_empty());
        // At most PROOF_GROUPS per zone; a flush of the zone drops them.
        for i in 0..PROOF_GROUPS + 3 {
            c.learn_proofs(&n("example."), group(&format!("n{i}.example.")), 100 * S, 1_500_000_000);
        }
        assert_eq!(c.proofs(&n("example."), 100 * S).len(), PROOF_GROUPS);
        c.flush(&n("example."), true);
        assert!(c.proofs(&n("example."), 100 * S).is_empty());
        // Off with aggressive use.
        let off = Cache::new(CacheLimits { aggressive_nsec: false, ..CacheLimits::default() });
        off.learn_proofs(&n("example."), group("a.example."), Duration::ZERO, 1_500_000_000);
        assert!(off.proofs(&n("example."), S).is_empty());
    }

    #[test]
    fn a_referrals_ds_rrset_is_kept_with_its_signatures() {
        let c = Cache::new(CacheLimits::default());
        let ds =
            parse_zone(&format!("sub.example. 120 DS 1 13 2 AABB\n{}", sig("sub.example.", "DS", 2)), None).unwrap();
        c.keep_rrset(&ds, true, Duration::ZERO, 1_500_000_000);
        let (records, secure, left) = c.rrset(&n("sub.example."), RType::DS, 20 * S).unwrap();
        assert_eq!((records.len(), secure, left), (2, true, 100 * S));
        assert!(c.rrset(&n("sub.example."), RType::DS, 120 * S).is_none());
    }
}
