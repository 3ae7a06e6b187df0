//! Byte-bounded LRU maps: every cache that keeps what the network sent
//! accounts for its entries' size and pushes out the least recently used
//! ones past its share of the memory budget (never everything at once).
//!
//! Sizes are estimates of what an entry holds (record structs, owner
//! names, RDATA as it would be written), not allocator truth; they are
//! consistent, so the budget bounds what the caches keep.

use std::cell::RefCell;
use std::hash::Hash;
use std::num::NonZeroUsize;

use candor_wire::{Form, Record, Writer};
use lru::LruCache;

use crate::security::{Resolution, Security};

/// What an entry costs beside its records (map slot, key, bookkeeping).
pub(crate) const ENTRY_OVERHEAD: usize = 96;

/// The estimated size of one record: the struct, its owner name, its RDATA
/// as written (signatures, keys and names included).
pub(crate) fn record_bytes(r: &Record) -> usize {
    thread_local! {
        static SCRATCH: RefCell<Writer> = RefCell::new(Writer::new(Vec::with_capacity(512)));
    }
    let rdata = SCRATCH.with(|w| {
        let mut w = w.borrow_mut();
        w.truncate(0);
        r.data.write(&mut w, Form::Plain);
        w.len()
    });
    std::mem::size_of::<Record>() + r.owner.wire_len() + rdata
}

/// The estimated size of some records.
pub(crate) fn records_bytes(records: &[Record]) -> usize {
    records.iter().map(record_bytes).sum()
}

/// The estimated size of a resolution (its records and its failure).
pub(crate) fn resolution_bytes(r: &Resolution) -> usize {
    // A failure and its evidence (lists kept short: each piece a few
    // hundred octets at most).
    let failure = match &r.security {
        Security::Secure | Security::Insecure(None) => 0,
        Security::Insecure(Some(f)) | Security::Bogus(f) | Security::Servfail(f) => 256 + 384 * f.evidence.len(),
    };
    std::mem::size_of::<Resolution>()
        + records_bytes(&r.answers)
        + records_bytes(&r.authority)
        + records_bytes(&r.additional)
        + failure
}

/// An LRU map bounded by entries and by the estimated bytes of what it
/// holds.
pub(crate) struct ByteLru<K: Hash + Eq, V> {
    lru: LruCache<K, (V, usize)>,
    weigh: fn(&K, &V) -> usize,
    bytes: usize,
    budget: usize,
    evictions: u64,
}

impl<K: Hash + Eq, V> std::fmt::Debug for ByteLru<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByteLru").field("entries", &self.lru.len()).field("bytes", &self.bytes).finish()
    }
}

impl<K: Hash + Eq, V> ByteLru<K, V> {
    /// At most `entries` entries and `budget` estimated bytes, each entry
    /// weighed by `weigh` (plus [`ENTRY_OVERHEAD`]).
    pub(crate) fn new(entries: usize, budget: usize, weigh: fn(&K, &V) -> usize) -> ByteLru<K, V> {
        let cap = NonZeroUsize::new(entries.max(1)).unwrap_or(NonZeroUsize::MIN);
        ByteLru { lru: LruCache::new(cap), weigh, bytes: 0, budget, evictions: 0 }
    }

    /// Keep `v` under `k` (replacing what was there); the least recently
    /// used entries go until the map is within its budget. An entry larger
    /// than the whole budget is not kept.
    pub(crate) fn put(&mut self, k: K, v: V) {
        let w = (self.weigh)(&k, &v) + ENTRY_OVERHEAD;
        if w > self.budget {
            if let Some((_, old)) = self.lru.pop(&k) {
                self.bytes -= old;
            }
            return;
        }
        if let Some((old_k, (_, old_w))) = self.lru.push(k, (v, w)) {
            self.bytes -= old_w;
            // `push` hands back the replaced entry or the evicted one.
            if self.lru.peek(&old_k).is_none() {
                self.evictions += 1;
            }
        }
        self.bytes += w;
        self.shrink();
    }

    /// Push out the least recently used entries past the budget.
    fn shrink(&mut self) {
        while self.bytes > self.budget {
            let Some((_, (_, w))) = self.lru.pop_lru() else { break };
            self.bytes -= w;
            self.evictions += 1;
        }
    }

    /// The entry under `k`, marked used.
    pub(crate) fn get(&mut self, k: &K) -> Option<&V> {
        self.lru.get(k).map(|(v, _)| v)
    }

    /// The entry under `k`, not marked used.
    pub(crate) fn peek(&self, k: &K) -> Option<&V> {
        self.lru.peek(k).map(|(v, _)| v)
    }

    /// Change the entry under `k` in place (marked used); its size is
    /// weighed again. False when there is none.
    pub(crate) fn update(&mut self, k: &K, f: impl FnOnce(&mut V)) -> bool {
        let weigh = self.weigh;
        let Some((v, w)) = self.lru.get_mut(k) else { return false };
        f(v);
        let new = weigh(k, v) + ENTRY_OVERHEAD;
        self.bytes = self.bytes - *w + new;
        *w = new;
        self.shrink();
        true
    }

    /// Remove the entry under `k`.
    pub(crate) fn pop(&mut self, k: &K) -> Option<V> {
        let (v, w) = self.lru.pop(k)?;
        self.bytes -= w;
        Some(v)
    }

    /// Keep only the entries `keep` accepts.
    pub(crate) fn retain(&mut self, keep: impl Fn(&K, &V) -> bool)
    where
        K: Clone,
    {
        let gone: Vec<K> = self.lru.iter().filter(|(k, (v, _))| !keep(k, v)).map(|(k, _)| k.clone()).collect();
        for k in gone {
            self.pop(&k);
        }
    }

    /// Drop everything.
    pub(crate) fn clear(&mut self) {
        self.lru.clear();
        self.bytes = 0;
    }

    /// Entries held.
    pub(crate) fn len(&self) -> usize {
        self.lru.len()
    }

    /// Estimated bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Entries pushed out by the entry or byte limit since start.
    pub(crate) fn evictions(&self) -> u64 {
        self.evictions
    }

    /// The entries, most recently used first.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.lru.iter().map(|(k, (v, _))| (k, v))
    }

    /// The entries, least recently used first (put back in this order,
    /// they keep their order).
    pub(crate) fn iter_oldest_first(&self) -> impl Iterator<Item = (&K, &V)> {
        self.lru.iter().rev().map(|(k, (v, _))| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_go_until_the_budget_holds_and_never_all() {
        let mut m: ByteLru<u32, Vec<u8>> = ByteLru::new(1000, 1000, |_, v| v.len());
        for k in 0..10 {
            m.put(k, vec![0; 100]);
        }
        // 196 octets each with the overhead: five fit in 1000.
        assert_eq!((m.len(), m.bytes()), (5, 980));
        assert_eq!(m.evictions(), 5);
        assert!(m.peek(&4).is_none() && m.peek(&5).is_some());
        // A used entry stays; the least recently used goes.
        m.get(&5);
        m.put(10, vec![0; 100]);
        assert!(m.peek(&5).is_some() && m.peek(&6).is_none());
        // An entry that grows pushes others out; one larger than the whole
        // budget is not kept (and replaces nothing).
        assert!(m.update(&10, |v| v.resize(500, 0)));
        assert!(m.bytes() <= 1000, "{}", m.bytes());
        m.put(11, vec![0; 5000]);
        assert!(m.peek(&11).is_none() && m.peek(&10).is_some());
        m.retain(|k, _| *k != 10);
        assert!(m.peek(&10).is_none());
        assert_eq!(m.bytes(), m.iter().map(|(_, v)| v.len() + ENTRY_OVERHEAD).sum::<usize>());
    }

    #[test]
    fn a_record_weighs_its_owner_and_its_data() {
        let small = candor_wire::text::parse_zone("a.example. 300 A 192.0.2.1\n", None).unwrap();
        let large =
            candor_wire::text::parse_zone(&format!("a.example. 300 TXT \"{}\"\n", "x".repeat(200)), None).unwrap();
        assert_eq!(record_bytes(&small[0]), std::mem::size_of::<Record>() + 11 + 4);
        assert_eq!(record_bytes(&large[0]) - record_bytes(&small[0]), 201 - 4);
    }
}
