//! CNAME and DNAME chains: one client question becomes a walk along the
//! chain, each link answered from the RRset cache, a cached denial, a kept
//! wildcard (RFC 8198 §5.4) or the iterator, the links' verdicts combined
//! into the worst one. A chain that carries the target zone's own signed
//! NXDOMAIN proof ends there when that zone's keys are already trusted.

use candor_wire::{Name, RData, RType, Rcode, Record};

use crate::budget::exhausted;
use crate::clock::Clock;
use crate::evidence::{Evidence, LIST_CAP, Listed};
use crate::failure::BudgetKind;
use crate::iterator::cuts::trusted;
use crate::records::{cap_soa_ttl, dedup_records, dname_rewrite, is_ns_or_sig};
use crate::resolver::Resolver;
use crate::security::{Resolution, Security, combine};
use crate::transport::Transport;
use crate::work::{Learned, Work};

impl<T: Transport, C: Clock> Resolver<T, C> {
    pub(crate) async fn resolve_with(&self, qname: &Name, qtype: RType, work: &mut Work) -> Resolution {
        let mut answers = Vec::new();
        // The authority records of earlier links (a wildcard CNAME's proof)
        // travel with the final answer's.
        let mut authority: Vec<Record> = Vec::new();
        let mut name = qname.clone();
        let mut verdicts: Vec<Security> = Vec::new();
        // The CNAME link that led to `name` (owner, target).
        let mut via: Option<(Name, Name)> = None;
        for link in 0..=self.cfg.max_cnames {
            // The question itself was just looked up in the caches (the
            // caller's answer_now); its chain's later names were not.
            let denied = || (link > 0 && work.trace.is_none()).then(|| self.cached_denial(&name, qtype)).flatten();
            let mut fresh = false;
            let r = match self.cached_link(&name, qtype, link > 0, work).or_else(|| denied().map(|(r, _)| r)) {
                Some(r) => r,
                None => {
                    let r = self.resolve_one(&name, qtype, work).await;
                    // The link is validated: what it proved goes to the caches.
                    self.commit(work);
                    fresh = true;
                    r
                }
            };
            answers.extend(r.answers.iter().cloned());
            // Follow the chain as far as this response takes it; when it
            // ends without the data (the rest lives in another zone, whose
            // records were not taken from this one), ask for the last name.
            let mut target = name.clone();
            let mut seen = vec![name.clone()];
            let mut looped = false;
            let mut hop = None;
            for _ in 0..=self.cfg.max_cnames {
                let next = r.answers.iter().find_map(|rr| match &rr.data {
                    RData::Cname(t) if rr.owner == target && qtype != RType::CNAME => Some(t.clone()),
                    _ => None,
                });
                match next {
                    Some(t) if seen.contains(&t) => {
                        looped = true;
                        break;
                    }
                    Some(t) => {
                        seen.push(t.clone());
                        hop = Some((target.clone(), t.clone()));
                        target = t;
                    }
                    None => break,
                }
            }
            if looped {
                break; // a CNAME loop: the chain budget's failure below
            }
            let has_target = r.answers.iter().any(|rr| rr.owner == target && rr.rtype() == qtype);
            let mut verdict = r.security.clone();
            // A link that fails names the hop that led into it.
            if let (Some((from, to)), Security::Bogus(f) | Security::Servfail(f)) = (&via, &mut verdict) {
                f.evidence.push(Evidence::Via { from: from.clone(), to: to.clone() });
            }
            verdicts.push(verdict);
            // A bogus link ends the chain: its target (perhaps a forger's,
            // a CNAME beside a signed DNAME) is not asked for, and the
            // verdict is bogus whatever a later link would say.
            let bogus = matches!(r.security, Security::Bogus(_) | Security::Servfail(_));
            let ends = bogus || target == name || has_target || !matches!(r.rcode, Rcode::NOERROR | Rcode::NXDOMAIN);
            // The answer may carry the target zone's own proof that the
            // target does not exist; with that zone's keys already trusted
            // it ends the chain (a validated denial proves the same
            // whichever server delivered it).
            let carried = (!ends && r.rcode == Rcode::NXDOMAIN)
                .then(|| self.carried_nxdomain(&target, qtype, &r.authority, work))
                .flatten();
            // A link asked for that leads on keeps its RRsets now, so a
            // chain that fails further on (too long, a bogus link) is
            // walked from the cache by the next name that joins it; the
            // last link's are kept with the whole answer.
            if fresh && !ends && work.trace.is_none() {
                self.cache.keep_rrsets(&r, None, self.clock.monotonic(), self.clock.unix());
            }
            if ends || carried.is_some() {
                // A carried proof is secure: the verdicts so far stand.
                authority.extend(carried.unwrap_or_else(|| r.authority.clone()));
                dedup_records(&mut authority);
                // A DNAME used twice along the chain is listed once.
                dedup_records(&mut answers);
                // What the last link (and a carried proof) proved.
                self.commit(work);
                return Resolution { answers, authority, security: combine(verdicts), ..r };
            }
            // Of an earlier link's authority section, its proofs; the
            // zone's NS RRset (non-minimal responses) is the final link's.
            authority.extend(r.authority.iter().filter(|rr| !is_ns_or_sig(rr)).cloned());
            via = hop;
            name = target;
        }
        self.commit(work);
        let now = self.clock.unix();
        // The names the chain went through, from its CNAMEs, up to where it
        // was stopped.
        let mut walked: Vec<Name> = std::iter::once(qname.clone())
            .chain(answers.iter().filter_map(|rr| match &rr.data {
                RData::Cname(t) => Some(t.clone()),
                _ => None,
            }))
            .collect();
        if walked.last() == Some(&name) {
            walked.pop();
        }
        let f = exhausted(BudgetKind::CnameChain, &self.cfg, qname, now)
            .with(Evidence::Chain { names: Listed::of(walked, LIST_CAP), last: name });
        Resolution {
            rcode: Rcode::SERVFAIL,
            answers,
            authority: Vec::new(),
            security: Security::servfail(f),
            from_cache: false,
            additional: Vec::new(),
            stale: None,
        }
    }

    /// The proof, in `authority`, that `target` does not exist, signed by
    /// the zone of its SOA there when that zone's keys are already trusted
    /// (a kept secure cut): the SOA and denial records. The denial is kept
    /// as the target's own negative answer (RFC 8020: for every type), as
    /// if its zone had been asked.
    pub(crate) fn carried_nxdomain(
        &self,
        target: &Name,
        qtype: RType,
        authority: &[Record],
        work: &mut Work,
    ) -> Option<Vec<Record>> {
        let zone =
            authority.iter().find(|r| r.rtype() == RType::SOA && target.is_subdomain_of(&r.owner))?.owner.clone();
        let (cut, fresh) = self.cuts.closest(target, self.clock.monotonic())?;
        let keys = trusted(&cut).filter(|_| fresh && cut.zone == zone)?;
        let signed_by_zone = |r: &Record| match &r.data {
            RData::Rrsig(s) => s.signer == zone && matches!(s.type_covered, RType::SOA | RType::NSEC | RType::NSEC3),
            _ => matches!(r.rtype(), RType::SOA | RType::NSEC | RType::NSEC3) && r.owner.is_subdomain_of(&zone),
        };
        let mut records: Vec<Record> = authority.iter().filter(|r| signed_by_zone(r)).cloned().collect();
        let proof =
            self.deny(keys, &records, work, |h, lim, recs| candor_denial::nxdomain(target, &zone, recs, h, lim));
        if !matches!(proof, Ok(p) if !p.is_insecure()) {
            return None;
        }
        cap_soa_ttl(&mut records);
        let negative = Resolution {
            rcode: Rcode::NXDOMAIN,
            answers: Vec::new(),
            authority: records.clone(),
            security: Security::Secure,
            from_cache: false,
            additional: Vec::new(),
            stale: None,
        };
        work.learned.push(Learned::Negative { name: target.clone(), qtype, resolution: negative });
        Some(records)
    }

    /// A step of a chain the RRset cache can take without asking: the
    /// data itself, a CNAME at the name, or a DNAME above it with the CNAME
    /// it synthesises (RFC 6672 §3.1; YXDOMAIN when the result is too long).
    /// Traces walk the chain afresh.
    pub(crate) fn cached_link(&self, name: &Name, qtype: RType, exact: bool, work: &Work) -> Option<Resolution> {
        if work.trace.is_some() || matches!(qtype, RType::ANY | RType::RRSIG) {
            return None;
        }
        let now = self.clock.monotonic();
        let link = Resolution::cached;
        if exact && let Some((records, secure, _)) = self.cache.rrset(name, qtype, now) {
            return Some(link(Rcode::NOERROR, records, secure));
        }
        // A DS lives on the parent side of a cut: a child's CNAME or DNAME
        // says nothing about it.
        if qtype == RType::DS {
            return None;
        }
        if qtype != RType::CNAME
            && let Some((records, secure, _)) = self.cache.rrset(name, RType::CNAME, now)
        {
            return Some(link(Rcode::NOERROR, records, secure));
        }
        let Some((mut records, secure)) = self.cache.dname_above(name, now) else {
            return self.cached_wildcard(name, qtype);
        };
        let Some(target) = dname_rewrite(&records, name) else {
            return Some(link(Rcode::YXDOMAIN, records, secure));
        };
        let (class, ttl) = records.iter().find(|r| r.rtype() == RType::DNAME).map(|r| (r.class, r.ttl))?;
        records.push(Record { owner: name.clone(), class, ttl, data: RData::Cname(target) });
        Some(link(Rcode::NOERROR, records, secure))
    }

    /// RFC 8198 §5.4: `name`'s answer synthesised from a kept secure
    /// wildcard RRset (the asked type, or a CNAME to follow) that kept NSEC
    /// records prove applies; the proof goes in the authority section.
    pub(crate) fn cached_wildcard(&self, name: &Name, qtype: RType) -> Option<Resolution> {
        if qtype == RType::DS {
            return None; // a DS is the parent's, never a wildcard's
        }
        let now = self.clock.monotonic();
        // The deepest wildcard kept above the name (a shallower one cannot
        // apply where that one's parent exists), with the asked type or a
        // CNAME to follow.
        let wildcard = self.cache.wildcard_above(name, now)?;
        let (records, security, _) = [qtype, RType::CNAME]
            .into_iter()
            .find_map(|t| self.cache.rrset(&wildcard, t, now))
            .filter(|(_, security, _)| *security == Security::Secure)?;
        let (proof, _) = self.cache.expansion_proof(name, &wildcard, now, &self.cfg.denial, self.cfg.hash_budget)?;
        let signer = proof.iter().find_map(|rr| match &rr.data {
            RData::Rrsig(s) => Some(&s.signer),
            _ => None,
        });
        if self.configured_below(name, signer) {
            return None;
        }
        // The synthesised answer lives no longer than the proof that lets
        // it apply (RFC 8198 §5.4).
        let proof_ttl = proof.iter().map(|r| r.ttl).min().unwrap_or(0);
        let answers =
            records.into_iter().map(|r| Record { owner: name.clone(), ttl: r.ttl.min(proof_ttl), ..r }).collect();
        let mut r = Resolution::cached(Rcode::NOERROR, answers, security);
        r.authority = proof;
        Some(r)
    }
}
