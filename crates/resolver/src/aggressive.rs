//! Aggressive use of DNSSEC-validated cache (RFC 8198), NSEC only.
//!
//! Every secure negative answer proven with NSEC leaves its NSEC records
//! (with their RRSIGs) and the zone's SOA here, per zone, in canonical
//! order. A later question in the zone that those records already deny
//! (the same name with another type, another name in a covered span) is
//! answered from them without asking: the records are handed to the same
//! proof functions a response from the network goes through, so nothing
//! is synthesised that a server could not have sent.
//!
//! The same records, with a wildcard RRset kept from a secure expansion,
//! let the resolver synthesise that wildcard's answer for another name
//! the records prove absent (RFC 8198 §5.4; the resolver looks up the
//! wildcard's RRset, this store only proves which wildcard applies).
//!
//! NSEC3 is left out (RFC 8198 §4.1 allows it; the hashes would have to be
//! computed per question, and opt-out spans deny nothing).
//! Wildcard-expanded NSEC records are never kept (RFC 8198 §5.3); an NSEC
//! lives no longer than the negative answer that brought it (RFC 9077).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use candor_denial::{BudgetHasher, Limits, Proof};
use candor_wire::{Name, RData, RType, Rcode, Record};

use crate::cache::flushed;
use crate::resolve::{Resolution, Security};

/// NSEC records kept at most, all zones together (the store starts afresh
/// beyond: it is an optimisation, never needed for an answer).
const MAX_RECORDS: usize = 50_000;

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
}

/// The store of validated NSEC records.
#[derive(Default)]
pub(crate) struct NsecStore {
    zones: HashMap<Name, Zone>,
    count: usize,
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
        for rr in section {
            if rr.rtype() != RType::NSEC || !rr.owner.is_subdomain_of(&zone_name) {
                continue;
            }
            let sigs = signatures(section, &rr.owner, RType::NSEC, &zone_name);
            if sigs.is_empty() {
                continue;
            }
            let mut records = vec![rr.clone()];
            records.extend(sigs);
            learned.push((rr.owner.to_lowercase(), Kept { records, stored: now, expires: now + ttl }));
        }
        if learned.is_empty() || ttl.is_zero() {
            return;
        }
        if self.count + learned.len() > MAX_RECORDS {
            self.zones.clear();
            self.count = 0;
        }
        let zone = self.zones.entry(zone_name).or_default();
        for (owner, kept) in learned {
            if zone.nsecs.insert(owner, kept).is_none() {
                self.count += 1;
            }
        }
    }

    /// A secure negative answer for `qname`/`qtype` that the kept records
    /// prove, TTLs counted down, with how long it may be reused.
    pub(crate) fn answer(
        &self,
        qname: &Name,
        qtype: RType,
        now: Duration,
        limits: &Limits,
    ) -> Option<(Resolution, Duration)> {
        let qname = qname.to_lowercase();
        // A DS record lives in the parent zone: its denial is the parent's.
        let start = if qtype == RType::DS { qname.parent()? } else { qname.clone() };
        let (zone_name, zone) = start.ancestors().find_map(|z| self.zones.get_key_value(&z))?;
        let soa = zone.soa.as_ref().filter(|s| s.expires > now)?;
        let mut picked: Vec<&Kept> = Vec::new();
        let first = zone.at_or_before(&qname, now)?;
        picked.push(first);
        if first.owner() != Some(&qname) {
            // The wildcard at the closest encloser this NSEC shows.
            let (owner, next) = (first.owner()?, first.next()?);
            let n = qname.common_label_count(owner).max(qname.common_label_count(next));
            let wildcard = qname.trim_to(n.max(zone_name.label_count())).wildcard().ok()?;
            if let Some(w) = zone.at_or_before(&wildcard, now)
                && !std::ptr::eq(w, first)
            {
                picked.push(w);
            }
        }
        let records: Vec<Record> = picked.iter().flat_map(|k| k.records.iter().cloned()).collect();
        // Never called for NSEC: a zero budget is enough.
        let mut hasher = BudgetHasher::new(candor_crypto::nsec3_hash, 0);
        let (rcode, proof) = match candor_denial::nxdomain(&qname, zone_name, &records, &mut hasher, limits) {
            Ok(p) => (Rcode::NXDOMAIN, p),
            Err(_) => {
                (Rcode::NOERROR, candor_denial::nodata(&qname, qtype, zone_name, &records, &mut hasher, limits).ok()?)
            }
        };
        if proof.is_insecure() || matches!(proof, Proof::OptOut | Proof::NoDs) {
            return None;
        }
        let mut authority = Vec::new();
        let mut left = soa.expires - now;
        for k in picked.iter().copied().chain(std::iter::once(soa)) {
            left = left.min(k.expires - now);
            let elapsed = now.saturating_sub(k.stored).as_secs() as u32;
            authority.extend(k.records.iter().map(|rr| {
                let mut rr = rr.clone();
                rr.ttl = rr.ttl.saturating_sub(elapsed);
                rr
            }));
        }
        let r = Resolution {
            rcode,
            answers: Vec::new(),
            authority,
            security: Security::Secure,
            from_cache: true,
            additional: Vec::new(),
        };
        Some((r, left))
    }

    /// The wildcard whose expansion answers `qname` (RFC 8198 §5.4): the
    /// kept NSEC that covers the name proves it absent and shows its
    /// closest encloser, whose wildcard that is; `None` when no kept record
    /// proves so much. With the proof, TTLs counted down, and how long it
    /// holds.
    pub(crate) fn wildcard_proof(
        &self,
        qname: &Name,
        now: Duration,
        limits: &Limits,
    ) -> Option<(Name, Vec<Record>, Duration)> {
        let qname = qname.to_lowercase();
        let (zone_name, zone) = qname.ancestors().find_map(|z| self.zones.get_key_value(&z))?;
        let cover = zone.at_or_before(&qname, now)?;
        let (owner, next) = (cover.owner()?, cover.next()?);
        if owner.to_lowercase() == qname {
            return None;
        }
        let n = qname.common_label_count(owner).max(qname.common_label_count(next));
        let wildcard = qname.trim_to(n.max(zone_name.label_count())).wildcard().ok()?;
        let labels = u8::try_from(wildcard.rrsig_label_count()).ok()?;
        // Never called for NSEC3: a zero budget is enough.
        let mut hasher = BudgetHasher::new(candor_crypto::nsec3_hash, 0);
        let proof = candor_denial::wildcard_answer(&qname, labels, zone_name, &cover.records, &mut hasher, limits);
        if !matches!(proof, Ok(Proof::WildcardAnswer)) {
            return None;
        }
        let elapsed = now.saturating_sub(cover.stored).as_secs() as u32;
        let records =
            cover.records.iter().map(|rr| Record { ttl: rr.ttl.saturating_sub(elapsed), ..rr.clone() }).collect();
        Some((wildcard, records, cover.expires - now))
    }

    /// Drop what lies at or below `zone` (or exactly `zone`).
    pub(crate) fn flush(&mut self, zone: &Name, subtree: bool) {
        let before: usize = self.zones.values().map(|z| z.nsecs.len()).sum();
        self.zones.retain(|n, _| !flushed(n, zone, subtree));
        for z in self.zones.values_mut() {
            z.nsecs.retain(|n, _| !flushed(n, zone, subtree));
        }
        let after: usize = self.zones.values().map(|z| z.nsecs.len()).sum();
        self.count = self.count.saturating_sub(before - after);
    }

    /// Drop everything.
    pub(crate) fn clear(&mut self) {
        self.zones.clear();
        self.count = 0;
    }
}

impl Zone {
    /// The live NSEC whose owner is `name` or the closest before it in
    /// canonical order (the one that could cover it).
    fn at_or_before(&self, name: &Name, now: Duration) -> Option<&Kept> {
        self.nsecs.range(..=name.clone()).next_back().map(|(_, k)| k).filter(|k| k.expires > now)
    }
}

impl Kept {
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

/// The RRSIGs over `owner`/`rtype` made by `zone`, left out when expanded
/// from a wildcard (fewer labels than the owner: RFC 8198 §5.3).
fn signatures(records: &[Record], owner: &Name, rtype: RType, zone: &Name) -> Vec<Record> {
    records
        .iter()
        .filter(|rr| {
            rr.owner == *owner
                && matches!(&rr.data, RData::Rrsig(s) if s.type_covered == rtype
                    && s.signer.to_lowercase() == *zone
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

    fn negative(rcode: Rcode, nsecs: &str) -> Resolution {
        Resolution {
            rcode,
            answers: Vec::new(),
            authority: parse_zone(&format!("{SOA}{nsecs}"), None).unwrap(),
            security: Security::Secure,
            from_cache: false,
            additional: Vec::new(),
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
        let (r, left) = s.answer(&n("B.example."), RType::AAAA, 10 * S, &Limits::default()).unwrap();
        assert_eq!((r.rcode, &r.security, r.from_cache, left), (Rcode::NOERROR, &Security::Secure, true, 290 * S));
        assert!(r.authority.iter().any(|rr| rr.rtype() == RType::NSEC));
        assert!(r.authority.iter().any(|rr| rr.rtype() == RType::SOA));
        assert!(r.authority.iter().all(|rr| rr.ttl == 3590), "counted down");
        assert!(s.answer(&n("b.example."), RType::TXT, 10 * S, &Limits::default()).is_none(), "the type exists");
        assert!(s.answer(&n("b.example."), RType::A, 301 * S, &Limits::default()).is_none(), "expired");
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
        let (r, _) = s.answer(&n("c.example."), RType::A, S, &Limits::default()).unwrap();
        assert_eq!(r.rcode, Rcode::NXDOMAIN);
        assert!(s.answer(&n("x.c.example."), RType::MX, S, &Limits::default()).is_some(), "below a non-existent name");
        // Without the apex NSEC nothing denies the wildcard.
        let s = store(&negative(Rcode::NXDOMAIN, &nsec("b.example.", "d.example.", "A RRSIG NSEC")));
        assert!(s.answer(&n("c.example."), RType::A, S, &Limits::default()).is_none());
        // Names outside every kept span, and other zones, are not answered.
        let s = store(&negative(Rcode::NXDOMAIN, &both));
        assert!(s.answer(&n("e.example."), RType::A, S, &Limits::default()).is_none());
        assert!(s.answer(&n("c.example.net."), RType::A, S, &Limits::default()).is_none());
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
        assert!(s.answer(&n("x.b.example."), RType::A, S, &Limits::default()).is_none());
        assert!(s.answer(&n("b.example."), RType::A, S, &Limits::default()).is_none());
        assert_eq!(s.answer(&n("b.example."), RType::DS, S, &Limits::default()).unwrap().0.rcode, Rcode::NOERROR);
        // An NSEC signed as a wildcard expansion (labels 1 for a 2-label owner).
        let expanded = "b.example. 3600 NSEC d.example. A RRSIG NSEC\nb.example. 3600 RRSIG NSEC 13 1 3600 2000000000 1000000000 1 example. AAAA\n";
        let s = store(&negative(Rcode::NOERROR, expanded));
        assert!(s.answer(&n("b.example."), RType::MX, S, &Limits::default()).is_none());
        let mut insecure = negative(Rcode::NOERROR, &nsec("b.example.", "d.example.", "TXT RRSIG NSEC"));
        insecure.security = Security::Insecure(None);
        assert!(store(&insecure).answer(&n("b.example."), RType::MX, S, &Limits::default()).is_none());
    }

    #[test]
    fn a_referrals_no_ds_proof_answers_once_the_zones_soa_is_known() {
        let mut s = NsecStore::default();
        let proof = parse_zone(&nsec("sub.example.", "www.example.", "NS RRSIG NSEC"), None).unwrap();
        s.keep_nsecs(&n("example."), &proof, Duration::ZERO, 300 * S);
        assert!(s.answer(&n("sub.example."), RType::DS, S, &Limits::default()).is_none(), "no SOA yet");
        s.learn(&negative(Rcode::NXDOMAIN, &nsec("example.", "a.example.", "NS SOA RRSIG NSEC DNSKEY")), S, 300 * S);
        let (r, _) = s.answer(&n("sub.example."), RType::DS, 2 * S, &Limits::default()).unwrap();
        assert_eq!(r.rcode, Rcode::NOERROR);
        assert!(r.authority.iter().any(|rr| rr.owner == n("sub.example.") && rr.rtype() == RType::NSEC));
    }

    #[test]
    fn a_covering_nsec_names_the_wildcard_that_answers_only_without_a_closer_match() {
        let mut s = NsecStore::default();
        // *.w.example. exists; its NSEC runs to z.example.
        let proof = parse_zone(&nsec("*.w.example.", "z.example.", "TXT RRSIG NSEC"), None).unwrap();
        s.keep_nsecs(&n("example."), &proof, Duration::ZERO, 300 * S);
        let (wildcard, records, left) = s.wildcard_proof(&n("b.w.example."), 10 * S, &Limits::default()).unwrap();
        assert_eq!((wildcard, left), (n("*.w.example."), 290 * S));
        assert!(records.iter().all(|rr| rr.ttl == 3590 && rr.owner == n("*.w.example.")), "{records:?}");
        // Below an absent name: the same wildcard (x.b.w.example. has the
        // closest encloser w.example. too).
        assert_eq!(s.wildcard_proof(&n("x.b.w.example."), S, &Limits::default()).unwrap().0, n("*.w.example."));
        // The wildcard's own name exists: nothing to synthesise; nor past
        // the NSEC's span, nor once it expired.
        assert!(s.wildcard_proof(&n("*.w.example."), S, &Limits::default()).is_none());
        assert!(s.wildcard_proof(&n("zz.example."), S, &Limits::default()).is_none());
        assert!(s.wildcard_proof(&n("b.w.example."), 301 * S, &Limits::default()).is_none());
        // An NSEC at a delegation covers nothing below it.
        let mut s = NsecStore::default();
        let deleg = parse_zone(&nsec("d.example.", "z.example.", "NS RRSIG NSEC"), None).unwrap();
        s.keep_nsecs(&n("example."), &deleg, Duration::ZERO, 300 * S);
        assert!(s.wildcard_proof(&n("x.d.example."), S, &Limits::default()).is_none());
    }

    #[test]
    fn flush_forgets() {
        let mut s = store(&negative(Rcode::NOERROR, &nsec("b.example.", "d.example.", "TXT RRSIG NSEC")));
        s.flush(&n("example."), true);
        assert!(s.answer(&n("b.example."), RType::A, S, &Limits::default()).is_none());
        assert_eq!(s.count, 0);
    }
}
