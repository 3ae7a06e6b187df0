//! The answer cache: bounded (LRU), sharded for concurrent workers, keyed
//! by question. Entries keep their verdict: secure and insecure answers
//! for their TTL (capped by the RRSIG original TTL and expiration),
//! negative answers for the SOA minimum (RFC 2308), bogus results briefly
//! with their failure and records, resolution failures a few seconds
//! (RFC 9520).

pub(crate) mod aggressive;
pub(crate) mod entry;
mod negative;
mod rrsets;
pub(crate) mod saved;
mod stale;

use std::hash::BuildHasher;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use candor_wire::{Name, RData, RType, Rcode, Record};

use crate::bytes::{ByteLru, records_bytes, resolution_bytes};
use crate::cache::aggressive::NsecStore;
use crate::cache::entry::{Entry, Key, ProofGroup, RrsetEntry, flushed, min_ttl};
use crate::security::{Resolution, Security};
use crate::sync::lock;

/// How long each kind of result may be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Entries in all shards together.
    pub capacity: usize,
    /// Estimated bytes all caches may hold together (answers, RRsets,
    /// denials, zone cuts with their keys), shared out in fixed parts:
    /// answers 52 %, RRsets 15 %, NSEC records 10 %, secure NXDOMAINs 5 %,
    /// proof groups 5 %, zone cuts 10 %, the rest for signature verdicts
    /// and failures ([`MemoryShares`]).
    pub memory: usize,
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
    /// Serve-stale (RFC 8767): how long past its expiry an answer is kept
    /// to be served when its refresh fails (`None`: not at all).
    pub serve_stale: Option<Duration>,
    /// Prefetch: an answer asked for in the last tenth of its life is
    /// refreshed ahead of its expiry, once.
    pub prefetch: bool,
}

impl Default for CacheLimits {
    fn default() -> CacheLimits {
        CacheLimits {
            capacity: 100_000,
            memory: 128 << 20,
            max_ttl: Duration::from_secs(86_400),
            bogus_ttl: Duration::from_secs(60),
            servfail_ttl: Duration::from_secs(5),
            aggressive_nsec: true,
            serve_stale: Some(Duration::from_secs(86_400)),
            prefetch: true,
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
    /// Client questions the answer cache missed that the RRset store
    /// answered.
    pub rrset_hits: u64,
    /// Client questions neither the answer cache nor the RRset store had.
    pub rrset_misses: u64,
    /// Entries now held.
    pub entries: u64,
    /// Entries pushed out by capacity (entries or bytes).
    pub evictions: u64,
    /// Estimated bytes held by the answer, RRset, NXDOMAIN and proof
    /// caches.
    pub bytes: u64,
    /// Of [`CacheStats::bytes`], the answers' (the entries').
    pub answer_bytes: u64,
    /// RRsets held by owner and type (each answer's, for other questions
    /// they answer).
    pub rrsets: u64,
    /// Of [`CacheStats::bytes`], the RRsets'.
    pub rrset_bytes: u64,
}

/// How the memory budget is shared out, in parts of 100: answers, RRsets,
/// NSEC records, secure NXDOMAINs, proof groups, zone cuts (with their
/// keys). The NSEC store counts records against its share at an estimated
/// [`NSEC_RECORD_BYTES`] each; the glue is bounded by names.
pub(crate) struct MemoryShares;

impl MemoryShares {
    /// Answers.
    pub(crate) const ANSWERS: usize = 52;
    /// Signature verdicts (at [`crate::validator::verdicts::VERDICT_BYTES`] each).
    pub(crate) const VERDICTS: usize = 1;
    /// The last failures, for `candor control why`.
    pub(crate) const FAILURES: usize = 2;
    /// RRsets (beside the answers: an answer that is one RRset is not
    /// kept here again, so this holds chain links, NS RRsets, addresses).
    pub(crate) const RRSETS: usize = 15;
    /// NSEC and NSEC3 records (RFC 8198).
    pub(crate) const NSECS: usize = 10;
    /// Secure NXDOMAIN names.
    pub(crate) const NXDOMAINS: usize = 5;
    /// Proof groups.
    pub(crate) const PROOFS: usize = 5;
    /// Zone cuts.
    pub(crate) const CUTS: usize = 10;

    /// `share` parts of 100 of `memory`.
    pub(crate) fn of(memory: usize, share: usize) -> usize {
        memory / 100 * share
    }
}

/// The cache.
pub struct Cache {
    shards: [Mutex<ByteLru<Key, Entry>>; SHARDS],
    limits: CacheLimits,
    hits: AtomicU64,
    misses: AtomicU64,
    /// Client questions the answer cache missed, looked up in the RRset
    /// store: found, not found.
    rrset_hits: AtomicU64,
    rrset_misses: AtomicU64,
    hasher: std::collections::hash_map::RandomState,
    /// Changes whenever entries are dropped before their time (flushes):
    /// copies of answers kept elsewhere are stale when it moved.
    generation: AtomicU64,
    /// Names proven not to exist (secure NXDOMAIN): nothing below them
    /// exists either (RFC 8020).
    nxdomains: Mutex<ByteLru<Name, Entry>>,
    /// Validated NSEC and NSEC3 records, for RFC 8198.
    nsecs: Mutex<NsecStore>,
    /// The RRsets of secure and insecure answers, by owner and type, for
    /// other questions they answer (a CNAME asked for itself, a DNAME
    /// rewriting other names, a chain's target); not an answer that is
    /// itself one RRset of its question (the answer holds it, and
    /// [`Cache::rrset`] looks there too).
    rrsets: Mutex<ByteLru<Key, RrsetEntry>>,
    /// Verified NSEC and NSEC3 RRsets (with their RRSIGs) that secure
    /// positive answers carried in their authority section, per signing
    /// zone, a group per answer: when the zone's servers later fail to
    /// answer a DS question, a group may still prove the DS absent (a
    /// validated denial proves the same whichever response carried it,
    /// RFC 8198 §4).
    proofs: Mutex<ByteLru<Name, Vec<ProofGroup>>>,
    /// The most labels a DNAME owner kept has had (0: none kept yet): no
    /// DNAME is looked for deeper than that.
    dname_labels: std::sync::atomic::AtomicUsize,
}

/// What one kept NSEC or NSEC3 record costs, with its RRSIGs and its
/// place in the store, as the NSEC store counts it (an estimate on the
/// high side: RSA signatures are up to 512 octets).
pub(crate) const NSEC_RECORD_BYTES: usize = 768;

/// Zones whose proof groups are kept.
const PROOF_ZONES: usize = 1024;

/// Secure NXDOMAIN names remembered at most (the least recently used go).
const MAX_NXDOMAINS: usize = 10_000;

/// Each cache starts its generations in its own range, so a copy made from
/// one cache never matches another (a reload replaces the resolver).
static INSTANCES: AtomicU64 = AtomicU64::new(0);

const SHARDS: usize = 16;

impl Cache {
    /// An empty cache.
    pub fn new(limits: CacheLimits) -> Cache {
        let per = (limits.capacity / SHARDS).max(1);
        let bytes = |share| MemoryShares::of(limits.memory, share);
        let answers = bytes(MemoryShares::ANSWERS) / SHARDS;
        Cache {
            shards: std::array::from_fn(|_| Mutex::new(ByteLru::new(per, answers, weigh_entry))),
            limits,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            rrset_hits: AtomicU64::new(0),
            rrset_misses: AtomicU64::new(0),
            hasher: std::collections::hash_map::RandomState::new(),
            generation: AtomicU64::new(INSTANCES.fetch_add(1, Ordering::Relaxed) << 32),
            nxdomains: Mutex::new(ByteLru::new(MAX_NXDOMAINS, bytes(MemoryShares::NXDOMAINS), |n, e| {
                n.wire_len() + weigh_entry(&(n.clone(), RType::A), e)
            })),
            nsecs: Mutex::new(NsecStore::with_limit(bytes(MemoryShares::NSECS) / NSEC_RECORD_BYTES)),
            rrsets: Mutex::new(ByteLru::new(limits.capacity, bytes(MemoryShares::RRSETS), |k, e| {
                k.0.wire_len() + records_bytes(&e.records)
            })),
            proofs: Mutex::new(ByteLru::new(PROOF_ZONES, bytes(MemoryShares::PROOFS), |n, groups| {
                n.wire_len() + groups.iter().map(|g| records_bytes(&g.records) + 32).sum::<usize>()
            })),
            dname_labels: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    #[allow(clippy::indexing_slicing, reason = "the index is taken modulo SHARDS, the array's length")]
    fn shard(&self, key: &Key) -> &Mutex<ByteLru<Key, Entry>> {
        &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS]
    }

    /// The cached result for a question at monotonic time `now`, TTLs
    /// counted down, marked as coming from the cache.
    pub fn get(&self, qname: &Name, qtype: RType, now: Duration) -> Option<Resolution> {
        self.get_with_lifetime(qname, qtype, now).map(|(r, _)| r)
    }

    /// [`Cache::get`], and how much longer the entry will be kept.
    pub fn get_with_lifetime(&self, qname: &Name, qtype: RType, now: Duration) -> Option<(Resolution, Duration)> {
        self.lookup(qname, qtype, now, false).map(|(r, left, _)| (r, left))
    }

    /// [`Cache::get_with_lifetime`], and whether this question should
    /// refresh the entry ahead of its expiry (prefetch: asked in its last
    /// tenth; true once per entry).
    pub(crate) fn get_prefetching(
        &self,
        qname: &Name,
        qtype: RType,
        now: Duration,
    ) -> Option<(Resolution, Duration, bool)> {
        self.lookup(qname, qtype, now, self.limits.prefetch)
    }

    fn lookup(
        &self,
        qname: &Name,
        qtype: RType,
        now: Duration,
        prefetch: bool,
    ) -> Option<(Resolution, Duration, bool)> {
        let key = (qname.to_lowercase(), qtype);
        let mut shard = lock(self.shard(&key));
        let hit = match shard.get(&key) {
            Some(e) if e.expires > now => {
                let due = prefetch
                    && e.due_for_prefetch(now)
                    && !e.prefetched.swap(true, std::sync::atomic::Ordering::Relaxed);
                let elapsed = (now.saturating_sub(e.stored)).as_secs() as u32;
                let mut r = e.resolution.clone();
                for rr in r.answers.iter_mut().chain(r.authority.iter_mut()).chain(r.additional.iter_mut()) {
                    rr.ttl = rr.ttl.saturating_sub(elapsed);
                }
                r.from_cache = true;
                // A cached failure says how old it is and when it goes.
                if let Security::Bogus(f) | Security::Servfail(f) = &mut r.security {
                    f.set_cached(elapsed, (e.expires - now).as_secs() as u32);
                }
                Some((r, e.expires - now, due))
            }
            // Expired: kept while it may still be served stale.
            Some(e) if e.servable_stale(now, self.limits.serve_stale) => None,
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
        self.put_for(qname, qtype, r, self.ttl(r, unix_now), now, unix_now);
    }

    /// [`Cache::put`], kept for `ttl`.
    fn put_for(&self, qname: &Name, qtype: RType, r: &Resolution, ttl: Duration, now: Duration, unix_now: u64) {
        if ttl.is_zero() {
            return;
        }
        let key = (qname.to_lowercase(), qtype);
        let entry = Entry::new(r.clone(), now, now + ttl);
        if r.rcode == Rcode::NXDOMAIN && r.security == Security::Secure && r.answers.is_empty() {
            lock(&self.nxdomains).put(key.0.clone(), Entry::new(r.clone(), now, now + ttl));
        }
        if self.limits.aggressive_nsec {
            lock(&self.nsecs).learn(r, now, ttl);
        }
        // The answer goes in first: an RRset it holds is not kept twice,
        // and lookups find it there.
        let shard = self.shard(&key);
        lock(shard).put(key.clone(), entry);
        self.keep_rrsets(r, Some(&key), now, unix_now);
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

    /// Drop everything at or below `zone` (or exactly `zone` when `!subtree`).
    pub fn flush(&self, zone: &Name, subtree: bool) {
        self.invalidate_copies();
        lock(&self.nsecs).flush(zone, subtree);
        drop_flushed(&mut lock(&self.rrsets), zone, subtree);
        lock(&self.nxdomains).retain(|n, _| !flushed(n, zone, subtree));
        lock(&self.proofs).retain(|n, _| !flushed(n, zone, subtree));
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
        // One lock at a time (a guard kept to the end of one expression
        // would meet the next lock of the same map).
        let (mut entries, mut evictions, mut bytes) = (0u64, 0u64, 0usize);
        for s in &self.shards {
            let s = lock(s);
            entries += s.len() as u64;
            evictions += s.evictions();
            bytes += s.bytes();
        }
        let answer_bytes = bytes;
        let (rrsets, rrset_bytes) = {
            let r = lock(&self.rrsets);
            evictions += r.evictions();
            (r.len(), r.bytes())
        };
        bytes += rrset_bytes;
        {
            let nx = lock(&self.nxdomains);
            evictions += nx.evictions();
            bytes += nx.bytes();
        }
        bytes += lock(&self.proofs).bytes();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            rrset_hits: self.rrset_hits.load(Ordering::Relaxed),
            rrset_misses: self.rrset_misses.load(Ordering::Relaxed),
            entries,
            evictions,
            bytes: bytes as u64,
            answer_bytes: answer_bytes as u64,
            rrsets: rrsets as u64,
            rrset_bytes: rrset_bytes as u64,
        }
    }
}

/// Drop the entries of `lru` a flush of `zone` takes.
fn drop_flushed<V>(lru: &mut ByteLru<Key, V>, zone: &Name, subtree: bool) {
    lru.retain(|(n, _), _| !flushed(n, zone, subtree));
}

/// The estimated size of a cached answer under its key.
fn weigh_entry(k: &Key, e: &Entry) -> usize {
    k.0.wire_len() + resolution_bytes(&e.resolution)
}

#[cfg(test)]
mod tests;
