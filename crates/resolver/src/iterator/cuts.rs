//! Zone cuts: the zone, its servers and its trust ([`Cut`]); the cuts
//! kept between resolutions ([`Cuts`]) and the glue referrals gave
//! ([`GlueCache`]); finding the deepest usable cut for a name.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroUsize;
use std::time::Duration;

use candor_wire::{Message, Name};
use lru::LruCache;

use crate::bytes::ByteLru;
use crate::sync::lock;
use crate::validator::verify::{Trust, TrustedKeys};

/// A zone cut: the zone, its servers, its trust.
#[derive(Debug, Clone)]
pub(crate) struct Cut {
    pub(crate) zone: Name,
    pub(crate) servers: Vec<SocketAddr>,
    pub(crate) trust: Trust,
    /// Name servers whose addresses were not looked up (no glue, and
    /// others answered): asked for only when the known ones fail us.
    pub(crate) pending: Vec<Name>,
}

/// How long a zone cut (its servers and validated keys) is reused.
pub(crate) const CUT_TTL: Duration = Duration::from_secs(3600);

/// Zone cuts kept at most (the least recently used go first).
pub(crate) const MAX_CUTS: usize = 10_000;

/// Server addresses kept with one cut at most.
pub(crate) const MAX_CUT_SERVERS: usize = 32;

/// Zone cuts seen, with their servers and trust, so a resolution starts at
/// the deepest known cut instead of the root. A cut's servers live as long
/// as the delegation says; a bogus verdict only briefly (like a bogus
/// answer), after which the trust is established again with the same
/// servers instead of walking the delegation anew.
#[derive(Debug)]
pub(crate) struct Cuts {
    pub(crate) map: std::sync::Mutex<ByteLru<Name, KeptCut>>,
    /// The most labels a kept cut's zone has had: no cut is looked for
    /// deeper than that.
    deepest: std::sync::atomic::AtomicUsize,
}

impl Cuts {
    /// At most [`MAX_CUTS`] cuts and `memory` estimated bytes (a cut
    /// weighs its zone, servers and trusted keys).
    pub(crate) fn new(memory: usize) -> Cuts {
        Cuts {
            map: std::sync::Mutex::new(ByteLru::new(MAX_CUTS, memory, weigh_cut)),
            deepest: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

/// The estimated size of a kept cut.
fn weigh_cut(zone: &Name, k: &KeptCut) -> usize {
    let keys = match &k.cut.trust {
        Trust::Secure(keys) => {
            let sigs: usize = keys.signatures().iter().map(|s| s.signature.len() + s.signer.wire_len() + 24).sum();
            keys.dnskeys().map(|d| d.public_key.len() + 96).sum::<usize>() + sigs
        }
        _ => 0,
    };
    let pending: usize = k.cut.pending.iter().map(|n| n.wire_len() + 24).sum();
    2 * zone.wire_len() + k.cut.servers.len() * std::mem::size_of::<SocketAddr>() + pending + keys + 128
}

fn non_zero(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
}

/// A kept cut: when its servers expire, and when its trust does.
#[derive(Debug)]
pub(crate) struct KeptCut {
    pub(crate) cut: Cut,
    pub(crate) expires: Duration,
    pub(crate) trust_expires: Duration,
    /// When it was kept (its life runs from here to `expires`).
    pub(crate) stored: Duration,
    /// A refresh of it ahead of expiry was started (key prefetch; once).
    pub(crate) prefetched: std::sync::atomic::AtomicBool,
}

/// How long a bogus link of the chain is believed.
pub(crate) const BOGUS_CUT_TTL: Duration = Duration::from_secs(60);

impl Cuts {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, ByteLru<Name, KeptCut>> {
        lock(&self.map)
    }

    /// The deepest live cut at or above `name`, and whether its trust is
    /// still current.
    pub(crate) fn closest(&self, name: &Name, now: Duration) -> Option<(Cut, bool)> {
        let deepest = self.deepest.load(std::sync::atomic::Ordering::Relaxed);
        let start = if name.label_count() > deepest { name.trim_to(deepest) } else { name.clone() };
        let mut m = self.lock();
        start
            .ancestors()
            .find_map(|a| m.get(&a).filter(|k| k.expires > now).map(|k| (k.cut.clone(), k.trust_expires > now)))
    }

    pub(crate) fn put(&self, cut: &Cut, ttl: Duration, now: Duration) {
        let trust_ttl = if matches!(cut.trust, Trust::Bogus(_)) { ttl.min(BOGUS_CUT_TTL) } else { ttl };
        let mut kept = cut.clone();
        kept.servers.truncate(MAX_CUT_SERVERS);
        self.deepest.fetch_max(cut.zone.label_count(), std::sync::atomic::Ordering::Relaxed);
        let kept = KeptCut {
            cut: kept,
            expires: now + ttl,
            trust_expires: now + trust_ttl,
            stored: now,
            prefetched: Default::default(),
        };
        self.lock().put(cut.zone.clone(), kept);
    }

    /// Is the kept cut of `zone`, just used, in the last tenth of its life
    /// (at least its last second, at most its second half) with a secure
    /// trust, and not refreshed yet? True once per kept cut: its servers,
    /// DS and DNSKEY RRsets are then refreshed in the background (key
    /// prefetch), so no client question waits for them at expiry.
    pub(crate) fn due_for_refresh(&self, zone: &Name, now: Duration) -> bool {
        let m = self.lock();
        m.peek(zone).is_some_and(|k| {
            let life = k.expires.saturating_sub(k.stored);
            let window = (life / 10).max(Duration::from_secs(1)).min(life / 2);
            matches!(k.cut.trust, Trust::Secure(_))
                && now < k.expires
                && now.saturating_add(window) >= k.expires.min(k.trust_expires)
                && !k.prefetched.swap(true, std::sync::atomic::Ordering::Relaxed)
        })
    }

    /// Is a live cut of `zone` kept?
    pub(crate) fn holds(&self, zone: &Name, now: Duration) -> bool {
        self.lock().peek(zone).is_some_and(|k| k.expires > now)
    }

    /// A kept cut's trust established again; its servers keep their lifetime.
    pub(crate) fn retrust(&self, zone: &Name, trust: &Trust, now: Duration) {
        let mut m = self.lock();
        if m.peek(zone).is_none_or(|k| k.expires <= now) {
            return;
        }
        m.update(zone, |k| {
            k.cut.trust = trust.clone();
            let left = k.expires - now;
            k.trust_expires = now + if matches!(trust, Trust::Bogus(_)) { left.min(BOGUS_CUT_TTL) } else { left };
        });
    }

    /// The live cuts whose trust is current and secure or plainly
    /// insecure, with the time their servers have left (a saved cache).
    pub(crate) fn saved(&self, now: Duration) -> Vec<(Cut, Duration)> {
        let m = self.lock();
        m.iter_oldest_first()
            .filter(|(_, k)| k.expires > now && k.trust_expires > now)
            .filter(|(_, k)| matches!(k.cut.trust, Trust::Secure(_) | Trust::Insecure(None)))
            .map(|(_, k)| (k.cut.clone(), k.expires - now))
            .collect()
    }

    pub(crate) fn flush(&self, zone: &Name) {
        self.lock().retain(|n, _| !n.is_subdomain_of(zone));
    }

    /// Add name servers to look up to a kept cut, leaving its lifetime as
    /// it is (the parent's delegation still decides when it is asked again).
    pub(crate) fn add_pending(&self, zone: &Name, names: Vec<Name>, now: Duration) {
        let mut m = self.lock();
        if m.peek(zone).is_none_or(|k| k.expires <= now) {
            return;
        }
        m.update(zone, |k| {
            for n in names {
                if !k.cut.pending.contains(&n) && k.cut.pending.len() < MAX_PENDING {
                    k.cut.pending.push(n);
                }
            }
        });
    }
}

/// Name servers to look up kept with a cut at most.
pub(crate) const MAX_PENDING: usize = 8;

/// Name servers' addresses from the in-bailiwick glue of referrals, kept
/// so a later referral naming the same server without glue needs no
/// look-up (Unbound keeps glue the same way). Never used as an answer.
pub(crate) struct GlueCache {
    pub(crate) map: std::sync::Mutex<LruCache<Name, GlueEntry>>,
    /// The name server each address was last learned for: a failure
    /// names the servers it asked by name and address.
    names: std::sync::Mutex<LruCache<IpAddr, Name>>,
}

impl Default for GlueCache {
    fn default() -> GlueCache {
        GlueCache {
            map: std::sync::Mutex::new(LruCache::new(non_zero(MAX_GLUE_NAMES))),
            names: std::sync::Mutex::new(LruCache::new(non_zero(MAX_GLUE_NAMES))),
        }
    }
}

/// Addresses kept for one name server at most.
pub(crate) const MAX_GLUE_ADDRS: usize = 16;

/// Drop the entries at or below `zone`.
fn drop_below<V>(m: &mut LruCache<Name, V>, zone: &Name) {
    let gone: Vec<Name> = m.iter().filter(|(n, _)| n.is_subdomain_of(zone)).map(|(n, _)| n.clone()).collect();
    for n in gone {
        m.pop(&n);
    }
}

/// One name server's glue.
pub(crate) struct GlueEntry {
    addrs: Vec<IpAddr>,
    expires: Duration,
    /// How deep the zone whose referral gave it is (in labels).
    depth: usize,
}

/// Name servers whose glue is kept at most (the least recently used go
/// first).
pub(crate) const MAX_GLUE_NAMES: usize = 10_000;

impl GlueCache {
    /// Keep a referral's glue, given by zone `from`, until `expires`. A
    /// referral's glue replaces what an earlier one said, unless that came
    /// from a zone closer to the name server and is still live: a zone
    /// higher up (the root, say, whose bailiwick holds every name) must not
    /// re-point the servers of every zone that names this one without glue.
    pub(crate) fn put(&self, glue: &[(Name, IpAddr)], expires: Duration, now: Duration, from: &Name) {
        let depth = from.label_count();
        {
            let mut names = lock(&self.names);
            for (name, addr) in glue {
                names.put(*addr, name.clone());
            }
        }
        let mut m = lock(&self.map);
        let mut fresh: Vec<&Name> = Vec::new();
        for (name, addr) in glue {
            if !fresh.contains(&name) {
                if m.peek(name).is_some_and(|e| e.expires > now && e.depth > depth) {
                    continue;
                }
                m.put(name.clone(), GlueEntry { addrs: Vec::new(), expires, depth });
                fresh.push(name);
            }
            if let Some(e) = m.get_mut(name)
                && !e.addrs.contains(addr)
                && e.addrs.len() < MAX_GLUE_ADDRS
            {
                e.addrs.push(*addr);
            }
        }
    }

    /// Remember that `addrs` are `name`'s (for naming servers in failures).
    pub(crate) fn name_addresses(&self, name: &Name, addrs: &[IpAddr]) {
        let mut names = lock(&self.names);
        for a in addrs.iter().take(MAX_GLUE_ADDRS) {
            names.put(*a, name.clone());
        }
    }

    /// The name server `addr` was last learned for, if known.
    pub(crate) fn name_of(&self, addr: IpAddr) -> Option<Name> {
        lock(&self.names).peek(&addr).cloned()
    }

    pub(crate) fn get(&self, name: &Name, now: Duration) -> Option<Vec<IpAddr>> {
        let mut m = lock(&self.map);
        m.get(name).filter(|e| e.expires > now).map(|e| e.addrs.clone())
    }

    pub(crate) fn flush(&self, zone: &Name) {
        drop_below(&mut lock(&self.map), zone);
    }
}

/// A glue address: the name server and one of its addresses.
pub(crate) type Glue = (Name, IpAddr);

/// How long a cut learned from a referral is kept: the smallest TTL of
/// the referral's authority records (the NS set, the DS or the proof there
/// is none), at most [`CUT_TTL`]. A parent that adds a DS is heard from
/// when the old delegation's TTL runs out.
pub(crate) fn referral_ttl(msg: &Message) -> Duration {
    let ttl = msg.authority.iter().map(|r| r.ttl).min().unwrap_or(0);
    Duration::from_secs(u64::from(ttl)).clamp(Duration::from_secs(1), CUT_TTL)
}

/// The keys of a secure cut; none for an insecure or bogus one.
pub(crate) fn trusted(cut: &Cut) -> Option<&TrustedKeys> {
    match &cut.trust {
        Trust::Secure(keys) => Some(keys),
        _ => None,
    }
}
