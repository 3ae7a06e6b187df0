//! Aggressive use of DNSSEC-validated cache (RFC 8198), NSEC and NSEC3.
//!
//! Every secure negative answer leaves its NSEC or NSEC3 records (with
//! their RRSIGs) and the zone's SOA here, per zone: NSEC records in
//! canonical order, NSEC3 records in hash order. A later question in the
//! zone that those records already deny (the same name with another type,
//! another name in a covered span) is answered from them without asking:
//! the few records that bear on the name are picked (for NSEC3: the hashes
//! of the name and its ancestors, within the per-response hash budget) and
//! handed to the same proof functions a response from the network goes
//! through, so nothing is synthesised that a server could not have sent.
//!
//! The same records, with a wildcard RRset kept from a secure expansion,
//! let the resolver synthesise that wildcard's answer for another name
//! the records prove absent (RFC 8198 §5.4; the resolver looks up the
//! wildcard's RRset, this store proves that it applies).
//!
//! Opt-out NSEC3 spans deny nothing (RFC 8198 §4.2: an unsigned delegation
//! may hide there). Wildcard-expanded NSEC/NSEC3 records are never kept
//! (RFC 8198 §5.3); a record lives no longer than the answer that brought
//! it (RFC 9077).

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::time::Duration;

use candor_denial::{BudgetHasher, Limits, Nsec3Hasher, Proof};
use candor_wire::{Name, RData, RType, Rcode, Record};
use lru::LruCache;

use crate::cache::entry::flushed;
use crate::security::{Resolution, Security};

/// NSEC records kept at most, all zones together. Past it, expired
/// records go first, then the zones learned from least recently, then
/// (one zone alone past it) that zone's records closest to expiring:
/// never everything at once.
const MAX_RECORDS: usize = 50_000;

/// Wildcards noted at most (the least recently noted go first).
const MAX_WILDCARDS: usize = 10_000;

struct Kept {
    /// The NSEC record and its RRSIGs, TTLs as received.
    records: Vec<Record>,
    stored: Duration,
    expires: Duration,
}

#[derive(Default)]
struct Zone {
    /// The zone's SOA and its RRSIGs (for the negative TTL of answers).
    soa: Option<Kept>,
    /// NSEC records by lower-cased owner, in canonical order.
    nsecs: BTreeMap<Name, Kept>,
    /// NSEC3 records by the hash their owner's first label spells, in
    /// hash order.
    nsec3s: BTreeMap<[u8; 20], Kept>,
}

/// The store of validated NSEC records.
pub(crate) struct NsecStore {
    /// By zone, the zone learned from last first.
    zones: LruCache<Name, Zone>,
    count: usize,
    /// Records kept at most ([`MAX_RECORDS`]).
    limit: usize,
    /// Wildcards (lower-cased) whose secure RRsets the RRset cache keeps,
    /// with when they expire: the only ones worth looking up there.
    wildcards: LruCache<Name, Duration>,
}

impl Default for NsecStore {
    fn default() -> NsecStore {
        let wildcards = NonZeroUsize::new(MAX_WILDCARDS).unwrap_or(NonZeroUsize::MIN);
        NsecStore { zones: LruCache::unbounded(), count: 0, limit: MAX_RECORDS, wildcards: LruCache::new(wildcards) }
    }
}

impl NsecStore {
    /// Keep the NSEC records of a secure negative answer, for `ttl`.
    pub(crate) fn learn(&mut self, r: &Resolution, now: Duration, ttl: Duration) {
        if r.security != Security::Secure
            || !r.answers.is_empty()
            || !matches!(r.rcode, Rcode::NOERROR | Rcode::NXDOMAIN)
            || ttl.is_zero()
        {
            return;
        }
        let expires = now + ttl;
        let Some(soa) = r.authority.iter().find(|rr| rr.rtype() == RType::SOA) else {
            return;
        };
        let zone_name = soa.owner.to_lowercase();
        let soa_sigs = signatures(&r.authority, &soa.owner, RType::SOA, &zone_name);
        if soa_sigs.is_empty() {
            return;
        }
        let mut soa_records = vec![soa.clone()];
        soa_records.extend(soa_sigs);
        self.keep_nsecs(&zone_name, &r.authority, now, ttl);
        // The SOA of a zone with NSEC records kept (from this answer or
        // earlier ones, a referral's included).
        if let Some(zone) = self.zones.get_mut(&zone_name) {
            zone.soa = Some(Kept { records: soa_records, stored: now, expires });
        }
    }

    /// Keep the NSEC records `zone` signed in a verified `section` (a
    /// referral's proof that a child has no DS), for `ttl`; the zone's SOA
    /// comes with a negative answer.
    pub(crate) fn keep_nsecs(&mut self, zone: &Name, section: &[Record], now: Duration, ttl: Duration) {
        let zone_name = zone.to_lowercase();
        let mut learned = Vec::new();
        let mut learned3 = Vec::new();
        for rr in section {
            let rtype = rr.rtype();
            let in_zone = match rtype {
                RType::NSEC => rr.owner.is_subdomain_of(&zone_name),
                RType::NSEC3 => rr.owner.parent().is_some_and(|p| p == zone_name),
                _ => false,
            };
            if !in_zone {
                continue;
            }
            let sigs = signatures(section, &rr.owner, rtype, &zone_name);
            if sigs.is_empty() {
                continue;
            }
            let mut records = vec![rr.clone()];
            records.extend(sigs);
            let kept = Kept { records, stored: now, expires: now + ttl };
            if rtype == RType::NSEC {
                learned.push((rr.owner.to_lowercase(), kept));
            } else if let Some(hash) = owner_hash(&rr.owner) {
                learned3.push((hash, kept));
            }
        }
        if (learned.is_empty() && learned3.is_empty()) || ttl.is_zero() {
            return;
        }
        // One response past the whole limit is not kept at all (the store
        // is an optimisation, never needed for an answer).
        if learned.len() + learned3.len() > self.limit {
            return;
        }
        self.make_room(&zone_name, learned.len() + learned3.len(), now);
        let zone = self.zones.get_or_insert_mut(zone_name, Zone::default);
        for (owner, kept) in learned {
            if zone.nsecs.insert(owner, kept).is_none() {
                self.count += 1;
            }
        }
        for (hash, kept) in learned3 {
            if zone.nsec3s.insert(hash, kept).is_none() {
                self.count += 1;
            }
        }
    }

    /// Room for `needed` more records in `zone` (see [`MAX_RECORDS`]).
    fn make_room(&mut self, zone: &Name, needed: usize, now: Duration) {
        if self.count + needed <= self.limit {
            return;
        }
        // Room for an eighth of the limit at once: the passes below touch
        // every record, so they run once per many insertions, not per one.
        let target = (self.limit - self.limit / 8).saturating_sub(needed);
        for (_, z) in self.zones.iter_mut() {
            z.nsecs.retain(|_, k| k.expires > now);
            z.nsec3s.retain(|_, k| k.expires > now);
        }
        self.recount();
        while self.count > target && self.zones.len() > 1 {
            // The least recently learned zone, unless it is this one.
            let Some((oldest, _)) = self.zones.peek_lru() else { break };
            if oldest == zone {
                self.zones.promote(zone);
                continue;
            }
            if let Some((_, z)) = self.zones.pop_lru() {
                self.count = self.count.saturating_sub(z.nsecs.len() + z.nsec3s.len());
            }
        }
        // One zone alone past the target: its records closest to expiring go.
        let excess = self.count.saturating_sub(target);
        if excess > 0
            && let Some(z) = self.zones.peek_mut(zone)
        {
            let mut ends: Vec<Duration> = z.nsecs.values().chain(z.nsec3s.values()).map(|k| k.expires).collect();
            ends.sort_unstable();
            if let Some(cut) = ends.get(excess.min(ends.len()).saturating_sub(1)).copied() {
                z.nsecs.retain(|_, k| k.expires > cut);
                z.nsec3s.retain(|_, k| k.expires > cut);
            }
            self.recount();
        }
    }

    /// Count the records kept anew.
    fn recount(&mut self) {
        self.count = self.zones.iter().map(|(_, z)| z.nsecs.len() + z.nsec3s.len()).sum();
    }

    /// A store of at most `limit` records (and [`MAX_RECORDS`]).
    pub(crate) fn with_limit(limit: usize) -> NsecStore {
        NsecStore { limit: limit.clamp(1, MAX_RECORDS), ..NsecStore::default() }
    }

    /// Note that the RRset cache keeps a secure RRset of `wildcard` until
    /// `expires`.
    pub(crate) fn note_wildcard(&mut self, wildcard: &Name, expires: Duration) {
        let e = self.wildcards.get_or_insert_mut(wildcard.to_lowercase(), Duration::default);
        *e = (*e).max(expires);
    }

    /// The deepest live wildcard noted above `qname` (the one whose
    /// expansion could answer it; a cheap test on the query path).
    pub(crate) fn wildcard_above(&self, qname: &Name, now: Duration) -> Option<Name> {
        if self.wildcards.is_empty() {
            return None;
        }
        qname
            .ancestors()
            .skip(1)
            .filter_map(|a| a.wildcard().ok())
            .find(|w| self.wildcards.peek(w).is_some_and(|e| *e > now))
    }

    /// A secure negative answer for `qname`/`qtype` that the kept records
    /// prove, TTLs counted down, with how long it may be reused.
    pub(crate) fn answer(
        &self,
        qname: &Name,
        qtype: RType,
        now: Duration,
        limits: &Limits,
        hash_budget: u64,
    ) -> Option<(Resolution, Duration)> {
        // A DS record lives in the parent zone: its denial is the parent's.
        let start = if qtype == RType::DS { qname.parent()? } else { qname.clone() };
        let (zone_name, zone) = start.ancestors().find_map(|z| self.zones.peek(&z).map(|zone| (z, zone)))?;
        let zone_name = &zone_name;
        let soa = zone.soa.as_ref().filter(|s| s.expires > now)?;
        let mut hasher = BudgetHasher::new(candor_crypto::nsec3_hash, hash_budget);
        let picked = if zone.nsec3s.is_empty() {
            zone.nsec_denial(zone_name, qname, now)?
        } else {
            zone.nsec3_denial(zone_name, qname, now, &mut hasher)?
        };
        let records: Vec<Record> = picked.iter().flat_map(|k| k.records.iter().cloned()).collect();
        let (rcode, proof) = match candor_denial::nxdomain(qname, zone_name, &records, &mut hasher, limits) {
            Ok(p) => (Rcode::NXDOMAIN, p),
            Err(_) => {
                (Rcode::NOERROR, candor_denial::nodata(qname, qtype, zone_name, &records, &mut hasher, limits).ok()?)
            }
        };
        if proof.is_insecure() || matches!(proof, Proof::OptOut | Proof::NoDs) {
            return None;
        }
        let mut authority = Vec::new();
        let mut left = soa.expires - now;
        for k in picked.iter().copied().chain(std::iter::once(soa)) {
            left = left.min(k.expires - now);
            authority.extend(k.counted_down(now));
        }
        let r = Resolution {
            rcode,
            answers: Vec::new(),
            authority,
            security: Security::Secure,
            from_cache: true,
            additional: Vec::new(),
            stale: None,
        };
        Some((r, left))
    }

    /// The kept proof that `wildcard`'s expansion answers `qname` (RFC 8198
    /// §5.4): that no name closer to `qname` exists (the NSEC covering the
    /// name, or the NSEC3 covering the next closer name), TTLs counted
    /// down, and how long it holds; `None` when no kept record proves it.
    pub(crate) fn expansion_proof(
        &self,
        qname: &Name,
        wildcard: &Name,
        now: Duration,
        limits: &Limits,
        hash_budget: u64,
    ) -> Option<(Vec<Record>, Duration)> {
        let (zone_name, zone) = qname.ancestors().find_map(|z| self.zones.peek(&z).map(|zone| (z, zone)))?;
        let zone_name = &zone_name;
        let labels = wildcard.rrsig_label_count();
        if !wildcard.is_subdomain_of(zone_name) || qname.rrsig_label_count() <= labels {
            return None;
        }
        let mut hasher = BudgetHasher::new(candor_crypto::nsec3_hash, hash_budget);
        let cover = if zone.nsec3s.is_empty() {
            zone.at_or_before(qname, now)?
        } else {
            let (salt, iterations) = zone.chain(now)?;
            let next_closer = hasher.hash(&qname.trim_to(labels + 1), salt, iterations).ok()?;
            zone.nsec3_at_or_before(&next_closer, now)?
        };
        let proof = candor_denial::wildcard_answer(
            qname,
            u8::try_from(labels).ok()?,
            zone_name,
            &cover.records,
            &mut hasher,
            limits,
        );
        if !matches!(proof, Ok(Proof::WildcardAnswer)) {
            return None;
        }
        Some((cover.counted_down(now), cover.expires - now))
    }

    /// Drop what lies at or below `zone` (or exactly `zone`).
    pub(crate) fn flush(&mut self, zone: &Name, subtree: bool) {
        let gone: Vec<Name> =
            self.zones.iter().filter(|(n, _)| flushed(n, zone, subtree)).map(|(n, _)| n.clone()).collect();
        for n in gone {
            self.zones.pop(&n);
        }
        for (name, z) in self.zones.iter_mut() {
            z.nsecs.retain(|n, _| !flushed(n, zone, subtree));
            // Which names an NSEC3 record spans cannot be told without
            // hashing: a flush inside the zone drops them all.
            if zone.is_subdomain_of(name) {
                z.nsec3s.clear();
            }
        }
        let gone: Vec<Name> =
            self.wildcards.iter().filter(|(w, _)| flushed(w, zone, subtree)).map(|(w, _)| w.clone()).collect();
        for w in gone {
            self.wildcards.pop(&w);
        }
        self.recount();
    }

    /// Drop everything.
    pub(crate) fn clear(&mut self) {
        self.zones.clear();
        self.wildcards.clear();
        self.count = 0;
    }
}

impl Zone {
    /// The live NSEC whose owner is `name` or the closest before it in
    /// canonical order (the one that could cover it).
    fn at_or_before(&self, name: &Name, now: Duration) -> Option<&Kept> {
        self.nsecs.range(..=name.clone()).next_back().map(|(_, k)| k).filter(|k| k.expires > now)
    }

    /// The NSEC records that may deny `qname`: the one at or before it,
    /// and the one at or before the wildcard at the closest encloser it
    /// shows.
    fn nsec_denial(&self, zone_name: &Name, qname: &Name, now: Duration) -> Option<Vec<&Kept>> {
        let first = self.at_or_before(qname, now)?;
        let mut picked = vec![first];
        if first.owner() != Some(qname) {
            let (owner, next) = (first.owner()?, first.next()?);
            let n = qname.common_label_count(owner).max(qname.common_label_count(next));
            let wildcard = qname.trim_to(n.max(zone_name.label_count())).wildcard().ok()?;
            if let Some(w) = self.at_or_before(&wildcard, now)
                && !std::ptr::eq(w, first)
            {
                picked.push(w);
            }
        }
        Some(picked)
    }

    /// The salt and iterations of the zone's kept NSEC3 chain (its first
    /// live record's: a proof mixing chains fails in candor-denial).
    fn chain(&self, now: Duration) -> Option<(&[u8], u16)> {
        let n = self.nsec3s.values().filter(|k| k.expires > now).find_map(Kept::nsec3)?;
        Some((&n.salt, n.iterations))
    }

    /// The live NSEC3 whose hash is `hash` or the closest before it (the
    /// one that could cover it; before the first, the last, whose span
    /// wraps around).
    fn nsec3_at_or_before(&self, hash: &[u8; 20], now: Duration) -> Option<&Kept> {
        let k = self.nsec3s.range(..=*hash).next_back().or_else(|| self.nsec3s.last_key_value());
        k.map(|(_, k)| k).filter(|k| k.expires > now)
    }

    /// The live NSEC3 whose hash is exactly `hash`.
    fn nsec3_matching(&self, hash: &[u8; 20], now: Duration) -> Option<&Kept> {
        self.nsec3s.get(hash).filter(|k| k.expires > now)
    }

    /// The NSEC3 records that may deny `qname` (RFC 5155 §8.4, §8.5): the
    /// one matching it; else the closest encloser's (the nearest ancestor
    /// with a matching record), the one covering the next closer name and
    /// the one covering or matching the wildcard at the closest encloser.
    fn nsec3_denial(
        &self,
        zone_name: &Name,
        qname: &Name,
        now: Duration,
        hasher: &mut dyn Nsec3Hasher,
    ) -> Option<Vec<&Kept>> {
        let (salt, iterations) = self.chain(now)?;
        let mut hash = |name: &Name| hasher.hash(name, salt, iterations).ok();
        if let Some(k) = self.nsec3_matching(&hash(qname)?, now) {
            return Some(vec![k]);
        }
        let mut next_closer = qname.clone();
        for ancestor in qname.ancestors().skip(1).take_while(|a| a.is_subdomain_of(zone_name)) {
            if let Some(ce) = self.nsec3_matching(&hash(&ancestor)?, now) {
                let nc = self.nsec3_at_or_before(&hash(&next_closer)?, now)?;
                let wc = self.nsec3_at_or_before(&hash(&ancestor.wildcard().ok()?)?, now)?;
                let mut picked = vec![ce];
                for k in [nc, wc] {
                    if !picked.iter().any(|p| std::ptr::eq(*p, k)) {
                        picked.push(k);
                    }
                }
                return Some(picked);
            }
            next_closer = ancestor;
        }
        None
    }
}

impl Kept {
    fn nsec3(&self) -> Option<&candor_wire::Nsec3> {
        self.records.iter().find_map(|rr| match &rr.data {
            RData::Nsec3(n) => Some(n),
            _ => None,
        })
    }

    /// The records, TTLs counted down to `now`.
    fn counted_down(&self, now: Duration) -> Vec<Record> {
        let elapsed = now.saturating_sub(self.stored).as_secs() as u32;
        self.records.iter().map(|rr| Record { ttl: rr.ttl.saturating_sub(elapsed), ..rr.clone() }).collect()
    }

    fn nsec(&self) -> Option<(&Name, &candor_wire::Nsec)> {
        self.records.iter().find_map(|rr| match &rr.data {
            RData::Nsec(n) => Some((&rr.owner, n)),
            _ => None,
        })
    }

    fn owner(&self) -> Option<&Name> {
        self.nsec().map(|(o, _)| o)
    }

    fn next(&self) -> Option<&Name> {
        self.nsec().map(|(_, n)| &n.next)
    }
}

/// The SHA-1 hash an NSEC3 owner's first label spells (base32hex).
fn owner_hash(owner: &Name) -> Option<[u8; 20]> {
    let label = std::str::from_utf8(owner.first_label()?).ok()?;
    candor_wire::text::base32hex_decode(label)?.try_into().ok()
}

/// The RRSIGs over `owner`/`rtype` made by `zone`, left out when expanded
/// from a wildcard (fewer labels than the owner: RFC 8198 §5.3).
fn signatures(records: &[Record], owner: &Name, rtype: RType, zone: &Name) -> Vec<Record> {
    records
        .iter()
        .filter(|rr| {
            rr.owner == *owner
                && matches!(&rr.data, RData::Rrsig(s) if s.type_covered == rtype
                    && s.signer == *zone
                    && usize::from(s.labels) == owner.rrsig_label_count())
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candor_wire::text::parse_zone;

    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    const SOA: &str = "example. 3600 SOA ns.example. h.example. 1 2 3 4 300
example. 3600 RRSIG SOA 13 1 3600 2000000000 1000000000 1 example. AAAA
";
    const S: Duration = Duration::from_secs(1);
    const BUDGET: u64 = 10_000;

    fn negative(rcode: Rcode, nsecs: &str) -> Resolution {
        Resolution {
            rcode,
            answers: Vec::new(),
            authority: parse_zone(&format!("{SOA}{nsecs}"), None).unwrap(),
            security: Security::Secure,
            from_cache: false,
            additional: Vec::new(),
            stale: None,
        }
    }

    fn nsec(owner: &str, next: &str, types: &str) -> String {
        let labels = n(owner).rrsig_label_count();
        format!(
            "{owner} 3600 NSEC {next} {types}\n{owner} 3600 RRSIG NSEC 13 {labels} 3600 2000000000 1000000000 1 example. AAAA\n"
        )
    }

    fn store(r: &Resolution) -> NsecStore {
        let mut s = NsecStore::default();
        s.learn(r, Duration::ZERO, 300 * S);
        s
    }

    #[test]
    fn a_nodata_proof_answers_other_absent_types_of_the_name() {
        let s = store(&negative(Rcode::NOERROR, &nsec("b.example.", "d.example.", "TXT RRSIG NSEC")));
        let (r, left) = s.answer(&n("B.example."), RType::AAAA, 10 * S, &Limits::default(), BUDGET).unwrap();
        assert_eq!((r.rcode, &r.security, r.from_cache, left), (Rcode::NOERROR, &Security::Secure, true, 290 * S));
        assert!(r.authority.iter().any(|rr| rr.rtype() == RType::NSEC));
        assert!(r.authority.iter().any(|rr| rr.rtype() == RType::SOA));
        assert!(r.authority.iter().all(|rr| rr.ttl == 3590), "counted down");
        assert!(
            s.answer(&n("b.example."), RType::TXT, 10 * S, &Limits::default(), BUDGET).is_none(),
            "the type exists"
        );
        assert!(s.answer(&n("b.example."), RType::A, 301 * S, &Limits::default(), BUDGET).is_none(), "expired");
    }

    #[test]
    fn a_covered_name_is_nxdomain_only_when_the_wildcard_is_denied_too() {
        // The apex NSEC covers *.example.; b..d covers c.example.
        let both = format!(
            "{}{}",
            nsec("example.", "b.example.", "NS SOA RRSIG NSEC DNSKEY"),
            nsec("b.example.", "d.example.", "A RRSIG NSEC")
        );
        let s = store(&negative(Rcode::NXDOMAIN, &both));
        let (r, _) = s.answer(&n("c.example."), RType::A, S, &Limits::default(), BUDGET).unwrap();
        assert_eq!(r.rcode, Rcode::NXDOMAIN);
        assert!(
            s.answer(&n("x.c.example."), RType::MX, S, &Limits::default(), BUDGET).is_some(),
            "below a non-existent name"
        );
        // Without the apex NSEC nothing denies the wildcard.
        let s = store(&negative(Rcode::NXDOMAIN, &nsec("b.example.", "d.example.", "A RRSIG NSEC")));
        assert!(s.answer(&n("c.example."), RType::A, S, &Limits::default(), BUDGET).is_none());
        // Names outside every kept span, and other zones, are not answered.
        let s = store(&negative(Rcode::NXDOMAIN, &both));
        assert!(s.answer(&n("e.example."), RType::A, S, &Limits::default(), BUDGET).is_none());
        assert!(s.answer(&n("c.example.net."), RType::A, S, &Limits::default(), BUDGET).is_none());
    }

    #[test]
    fn delegations_wildcard_expansions_and_insecure_answers_deny_nothing() {
        // Below a delegation the parent's NSEC proves nothing; at it, only DS.
        let deleg = format!(
            "{}{}",
            nsec("example.", "b.example.", "NS SOA RRSIG NSEC DNSKEY"),
            nsec("b.example.", "d.example.", "NS RRSIG NSEC")
        );
        let s = store(&negative(Rcode::NOERROR, &deleg));
        assert!(s.answer(&n("x.b.example."), RType::A, S, &Limits::default(), BUDGET).is_none());
        assert!(s.answer(&n("b.example."), RType::A, S, &Limits::default(), BUDGET).is_none());
        assert_eq!(
            s.answer(&n("b.example."), RType::DS, S, &Limits::default(), BUDGET).unwrap().0.rcode,
            Rcode::NOERROR
        );
        // An NSEC signed as a wildcard expansion (labels 1 for a 2-label owner).
        let expanded = "b.example. 3600 NSEC d.example. A RRSIG NSEC\nb.example. 3600 RRSIG NSEC 13 1 3600 2000000000 1000000000 1 example. AAAA\n";
        let s = store(&negative(Rcode::NOERROR, expanded));
        assert!(s.answer(&n("b.example."), RType::MX, S, &Limits::default(), BUDGET).is_none());
        let mut insecure = negative(Rcode::NOERROR, &nsec("b.example.", "d.example.", "TXT RRSIG NSEC"));
        insecure.security = Security::Insecure(None);
        assert!(store(&insecure).answer(&n("b.example."), RType::MX, S, &Limits::default(), BUDGET).is_none());
    }

    #[test]
    fn a_referrals_no_ds_proof_answers_once_the_zones_soa_is_known() {
        let mut s = NsecStore::default();
        let proof = parse_zone(&nsec("sub.example.", "www.example.", "NS RRSIG NSEC"), None).unwrap();
        s.keep_nsecs(&n("example."), &proof, Duration::ZERO, 300 * S);
        assert!(s.answer(&n("sub.example."), RType::DS, S, &Limits::default(), BUDGET).is_none(), "no SOA yet");
        s.learn(&negative(Rcode::NXDOMAIN, &nsec("example.", "a.example.", "NS SOA RRSIG NSEC DNSKEY")), S, 300 * S);
        let (r, _) = s.answer(&n("sub.example."), RType::DS, 2 * S, &Limits::default(), BUDGET).unwrap();
        assert_eq!(r.rcode, Rcode::NOERROR);
        assert!(r.authority.iter().any(|rr| rr.owner == n("sub.example.") && rr.rtype() == RType::NSEC));
    }

    #[test]
    fn a_covering_nsec_proves_a_wildcard_expansion_only_without_a_closer_match() {
        let mut s = NsecStore::default();
        // *.w.example. exists; its NSEC runs to x.w.example.
        let proof = parse_zone(&nsec("*.w.example.", "x.w.example.", "TXT RRSIG NSEC"), None).unwrap();
        s.keep_nsecs(&n("example."), &proof, Duration::ZERO, 300 * S);
        let wild = n("*.w.example.");
        let prove = |s: &NsecStore, q: &str, w: &Name, at| s.expansion_proof(&n(q), w, at, &Limits::default(), BUDGET);
        let (records, left) = prove(&s, "b.w.example.", &wild, 10 * S).unwrap();
        assert_eq!(left, 290 * S);
        assert!(records.iter().all(|rr| rr.ttl == 3590 && rr.owner == wild), "{records:?}");
        // Below an absent name: the same wildcard applies.
        assert!(prove(&s, "x.b.w.example.", &wild, S).is_some());
        // A wildcard higher up does not (w.example. exists); nor the
        // wildcard's own name, names past the NSEC's span, or an expired one.
        assert!(prove(&s, "b.w.example.", &n("*.example."), S).is_none());
        assert!(prove(&s, "*.w.example.", &wild, S).is_none());
        assert!(prove(&s, "y.w.example.", &wild, S).is_none());
        assert!(prove(&s, "b.w.example.", &wild, 301 * S).is_none());
        // An NSEC at a delegation covers nothing below it.
        let mut s = NsecStore::default();
        let deleg = parse_zone(&nsec("d.example.", "z.example.", "NS RRSIG NSEC"), None).unwrap();
        s.keep_nsecs(&n("example."), &deleg, Duration::ZERO, 300 * S);
        assert!(prove(&s, "x.d.example.", &n("*.d.example."), S).is_none());
    }

    /// An NSEC3 chain (SHA-1, salt AB, 1 iteration) over `names` with
    /// their types, each record with an RRSIG; `flags` 1 is opt-out.
    fn nsec3_chain(names: &[(&str, &str)], flags: u8) -> String {
        let hash = |name: &str| {
            candor_wire::text::base32hex_encode(&candor_crypto::nsec3_hash(&n(name), &[0xab], 1)).to_lowercase()
        };
        let mut hashed: Vec<(String, &str)> = names.iter().map(|(name, types)| (hash(name), *types)).collect();
        hashed.sort();
        let mut text = String::new();
        for (i, (h, types)) in hashed.iter().enumerate() {
            let next = &hashed[(i + 1) % hashed.len()].0;
            text.push_str(&format!(
                "{h}.example. 3600 NSEC3 1 {flags} 1 AB {next} {types}\n{h}.example. 3600 RRSIG NSEC3 13 2 3600 2000000000 1000000000 1 example. AAAA\n"
            ));
        }
        text
    }

    #[test]
    fn nsec3_records_deny_names_and_types_and_prove_wildcard_expansions() {
        let chain = nsec3_chain(
            &[
                ("example.", "NS SOA RRSIG DNSKEY NSEC3PARAM"),
                ("a.example.", "A RRSIG"),
                ("*.w.example.", "TXT RRSIG"),
                ("w.example.", ""),
            ],
            0,
        );
        let s = store(&negative(Rcode::NXDOMAIN, &chain));
        let answer = |q: &str, t: RType| s.answer(&n(q), t, S, &Limits::default(), BUDGET).map(|(r, _)| r);
        // The name's own record: NODATA for a type it lacks, nothing for one it has.
        let r = answer("a.example.", RType::MX).unwrap();
        assert_eq!(r.rcode, Rcode::NOERROR);
        assert_eq!(r.authority.iter().filter(|rr| rr.rtype() == RType::NSEC3).count(), 1, "only the matching record");
        assert!(answer("a.example.", RType::A).is_none());
        // Closest encloser example., next closer and wildcard covered.
        let r = answer("b.example.", RType::A).unwrap();
        assert_eq!(r.rcode, Rcode::NXDOMAIN);
        assert!(r.authority.iter().filter(|rr| rr.rtype() == RType::NSEC3).count() <= 3);
        assert_eq!(answer("deep.b.example.", RType::A).unwrap().rcode, Rcode::NXDOMAIN);
        // Below w.example. a wildcard exists: no NXDOMAIN, but its expansion.
        assert!(answer("b.w.example.", RType::TXT).is_none());
        let wild = n("*.w.example.");
        assert!(s.expansion_proof(&n("b.w.example."), &wild, S, &Limits::default(), BUDGET).is_some());
        assert!(s.expansion_proof(&n("a.example."), &n("*.example."), S, &Limits::default(), BUDGET).is_none());
        // A budget too small for the hashes answers nothing.
        assert!(s.answer(&n("b.example."), RType::A, S, &Limits::default(), 1).is_none());
        // Opt-out spans deny nothing.
        let chain = nsec3_chain(&[("example.", "NS SOA RRSIG DNSKEY NSEC3PARAM"), ("a.example.", "A RRSIG")], 1);
        let s = store(&negative(Rcode::NXDOMAIN, &chain));
        assert!(s.answer(&n("b.example."), RType::A, S, &Limits::default(), BUDGET).is_none());
        // A flush inside the zone drops the NSEC3 records.
        let mut s = store(&negative(Rcode::NXDOMAIN, &nsec3_chain(&[("example.", "SOA"), ("a.example.", "A")], 0)));
        s.flush(&n("a.example."), false);
        assert_eq!(s.count, 0);
    }

    proptest::proptest! {
        /// Any kept NSEC3 chain over example. and random names (random
        /// opt-out flags, some records missing) and any question: no panic,
        /// and a name whose own hash has a kept record is never said not to
        /// exist.
        #[test]
        fn nsec3_answers_never_deny_a_name_the_chain_lists(
            names in proptest::collection::vec("[a-c]{1,2}(\\.[a-c]{1,2})?", 0..6),
            flags in proptest::collection::vec(0u8..2, 11),
            kept in proptest::collection::vec(proptest::bool::weighted(0.8), 11),
            labels in proptest::collection::vec("[a-c]{1,2}", 1..4),
            wildcard_depth in 0usize..4,
        ) {
            let hash = |name: &Name| candor_crypto::nsec3_hash(name, &[0xab], 1);
            // Every name with its empty non-terminals: a chain lists those
            // too (RFC 5155 §7.1), or a proof may rightly deny one, and a
            // name below it with it.
            let mut owners: Vec<[u8; 20]> = std::iter::once(n("example."))
                .chain(names.iter().flat_map(|l| {
                    let name = n(&format!("{l}.example."));
                    (2..=name.label_count()).map(move |k| name.trim_to(k))
                }))
                .map(|name| hash(&name))
                .collect();
            owners.sort();
            owners.dedup();
            let encode = |h: &[u8]| candor_wire::text::base32hex_encode(h).to_lowercase();
            let mut text = String::new();
            for (i, owner) in owners.iter().enumerate().filter(|(i, _)| kept[*i]) {
                let (o, next, f) = (encode(owner), encode(&owners[(i + 1) % owners.len()]), flags[i]);
                text.push_str(&format!(
                    "{o}.example. 3600 NSEC3 1 {f} 1 AB {next} A RRSIG\n{o}.example. 3600 RRSIG NSEC3 13 2 3600 2000000000 1000000000 1 example. AAAA\n"
                ));
            }
            let s = store(&negative(Rcode::NXDOMAIN, &text));
            let qname = n(&format!("{}.example.", labels.join(".")));
            for t in [RType::A, RType::MX, RType::DS] {
                if let Some((r, _)) = s.answer(&qname, t, S, &Limits::default(), BUDGET)
                    && r.rcode == Rcode::NXDOMAIN
                {
                    let listed = owners.contains(&hash(&qname));
                    proptest::prop_assert!(!listed, "{} denied though listed", qname);
                }
            }
            let wildcard = qname.trim_to(wildcard_depth.min(qname.label_count())).wildcard().unwrap();
            let _ = s.expansion_proof(&qname, &wildcard, S, &Limits::default(), BUDGET);
        }

        /// The same for NSEC: random owners and spans in example.
        #[test]
        fn nsec_answers_never_deny_a_name_the_chain_lists(
            spans in proptest::collection::vec(("[a-c]{1,2}(\\.[a-c]{1,2})?", "[a-c]{1,2}(\\.[a-c]{1,2})?"), 1..6),
            labels in proptest::collection::vec("[a-c]{1,2}", 1..3),
            wildcard_depth in 0usize..3,
        ) {
            let text: String = spans
                .iter()
                .map(|(o, next)| nsec(&format!("{o}.example."), &format!("{next}.example."), "A RRSIG NSEC"))
                .collect();
            let s = store(&negative(Rcode::NXDOMAIN, &text));
            let qname = n(&format!("{}.example.", labels.join(".")));
            for t in [RType::A, RType::MX, RType::DS] {
                if let Some((r, _)) = s.answer(&qname, t, S, &Limits::default(), BUDGET)
                    && r.rcode == Rcode::NXDOMAIN
                {
                    let listed = spans.iter().any(|(o, _)| n(&format!("{o}.example.")) == qname);
                    proptest::prop_assert!(!listed, "{} denied though listed", qname);
                }
            }
            let wildcard = qname.trim_to(wildcard_depth.min(qname.label_count())).wildcard().unwrap();
            let _ = s.expansion_proof(&qname, &wildcard, S, &Limits::default(), BUDGET);
        }
    }

    #[test]
    fn flush_forgets() {
        let mut s = store(&negative(Rcode::NOERROR, &nsec("b.example.", "d.example.", "TXT RRSIG NSEC")));
        s.flush(&n("example."), true);
        assert!(s.answer(&n("b.example."), RType::A, S, &Limits::default(), BUDGET).is_none());
        assert_eq!(s.count, 0);
    }

    #[test]
    fn past_its_limit_the_store_drops_the_least_recently_learned_zone_not_everything() {
        let mut s = NsecStore::with_limit(6);
        // Three records in each of four zones, one zone after the other.
        for (i, zone) in ["a.", "b.", "c.", "d."].into_iter().enumerate() {
            let mut text = String::new();
            for (owner, next) in [("", "m."), ("m.", "x."), ("x.", "")] {
                let (o, nx) = (format!("{owner}{zone}"), format!("{next}{zone}"));
                text.push_str(&format!("{o} 300 NSEC {nx} A RRSIG NSEC\n"));
                let labels = n(&o).rrsig_label_count();
                text.push_str(&format!("{o} 300 RRSIG NSEC 13 {labels} 300 2000000000 1000000000 1 {zone} AAAA\n"));
            }
            s.keep_nsecs(&n(zone), &parse_zone(&text, None).unwrap(), S * i as u32, 100 * S);
            assert!(s.count <= 6, "{}", s.count);
        }
        // The two zones learned last are kept whole; the first two went.
        let kept: Vec<String> = s.zones.iter().map(|(z, zone)| format!("{z}{}", zone.nsecs.len())).collect();
        assert_eq!(kept, ["d.3", "c.3"]);
        // One zone alone past the limit drops its records closest to
        // expiring; one response past the whole limit is not kept.
        let mut s = NsecStore::with_limit(4);
        let text: String = ["a.e.", "b.e.", "c.e."]
            .iter()
            .map(|o| {
                format!("{o} 300 NSEC z.e. A RRSIG NSEC\n{o} 300 RRSIG NSEC 13 2 300 2000000000 1000000000 1 e. AAAA\n")
            })
            .collect();
        s.keep_nsecs(&n("e."), &parse_zone(&text, None).unwrap(), S, 100 * S);
        s.keep_nsecs(&n("e."), &parse_zone(&text.replace("a.e.", "q.e."), None).unwrap(), 2 * S, 100 * S);
        let kept = |s: &NsecStore| -> Vec<String> {
            s.zones.iter().flat_map(|(_, z)| z.nsecs.keys().map(|o| o.to_string())).collect()
        };
        assert_eq!(kept(&s), ["b.e.", "c.e.", "q.e."]);
        let mut small = NsecStore::with_limit(2);
        small.keep_nsecs(&n("e."), &parse_zone(&text, None).unwrap(), S, 100 * S);
        assert_eq!(small.count, 0);
    }
}
