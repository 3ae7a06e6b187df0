//! An authority's answer in the cut's zone, from response to
//! [`Resolution`]: the admission gate (`scrub`), validation with the cut's
//! keys, what a secure answer teaches the RFC 8198 store, and the sections
//! the client gets (`sections`).
pub(crate) mod scrub;
pub(crate) mod sections;

use crate::answer::scrub::regroup_rrsigs;
use crate::clock::Clock;
use crate::iterator::cuts::Cut;
use crate::records::{cap_soa_ttl, dedup_records, is_ns_or_sig, rrset_keys};
use crate::resolver::Resolver;
use crate::security::{Resolution, Security, Trust, security_state};
use crate::trace::{Link, rrsets_of};
use crate::transport::Transport;
use crate::validator::answer::blame_malformed;
use crate::validator::verify::TrustedKeys;
use crate::work::Work;
use candor_wire::{Message, Name, RData, RType, Rcode, Record};

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// Validate an authoritative response in the cut's zone.
    pub(crate) fn finish(
        &self,
        cut: &Cut,
        qname: &Name,
        qtype: RType,
        mut msg: Message,
        work: &mut Work,
    ) -> Resolution {
        let now = self.clock.unix();
        regroup_rrsigs(&mut msg);
        // Only the zone's own records count: out-of-zone answers (a CNAME
        // target elsewhere) are asked of their own zone instead.
        msg.answers.retain(|r| r.owner.is_subdomain_of(&cut.zone));
        // An NSEC whose next name lies outside the zone is malformed (it
        // would deny other zones' names): dropped with its RRSIGs, wherever
        // it is, as Unbound's scrubber does. Denial records of another zone
        // go too, except beside a chain that leaves this zone for a name
        // said not to exist: there they may be the target zone's own proof
        // (checked with that zone's keys, or not used).
        let leaves_zone = msg.header.rcode == Rcode::NXDOMAIN
            && msg.answers.iter().any(|r| matches!(&r.data, RData::Cname(t) if !t.is_subdomain_of(&cut.zone)));
        let overreaching: Vec<Name> = msg
            .answers
            .iter()
            .chain(&msg.authority)
            .filter_map(|r| match &r.data {
                RData::Nsec(n) if r.owner.is_subdomain_of(&cut.zone) && !n.next.is_subdomain_of(&cut.zone) => {
                    Some(r.owner.clone())
                }
                RData::Nsec(_) if !r.owner.is_subdomain_of(&cut.zone) && !leaves_zone => Some(r.owner.clone()),
                _ => None,
            })
            .collect();
        if !overreaching.is_empty() {
            let keep = |r: &Record| {
                !overreaching.contains(&r.owner)
                    || !(r.rtype() == RType::NSEC
                        || matches!(&r.data, RData::Rrsig(s) if s.type_covered == RType::NSEC))
            };
            msg.answers.retain(keep);
            msg.authority.retain(keep);
        }
        // Records of a zone below the cut that the same server serves (their
        // RRSIGs name it as signer) are that zone's to answer: a chain that
        // reaches them is followed there, with that zone's chain of trust.
        let below: Vec<Name> = msg
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Rrsig(s) if s.signer != cut.zone && s.signer.is_subdomain_of(&cut.zone) => {
                    Some(s.signer.clone())
                }
                _ => None,
            })
            .collect();
        if !below.is_empty() && !below.iter().any(|z| qname.is_subdomain_of(z)) {
            msg.answers.retain(|r| !below.iter().any(|z| r.owner.is_subdomain_of(z)));
        }
        // Records of types nobody asked for (nor CNAME/DNAME steps) are dropped.
        if qtype != RType::ANY {
            msg.answers.retain(|r| {
                let t = match &r.data {
                    RData::Rrsig(s) => s.type_covered,
                    _ => r.rtype(),
                };
                t == qtype || r.rtype() == qtype || matches!(t, RType::CNAME | RType::DNAME)
            });
            // A CNAME beside the asked-for data at the name itself (CNAME
            // and other data, which RFC 1034 §3.6.2 forbids): whichever
            // comes first answers, the other is dropped (as Unbound does).
            let both = |t: RType| msg.answers.iter().any(|r| r.owner == *qname && r.rtype() == t);
            if qtype != RType::CNAME && both(qtype) && both(RType::CNAME) {
                let first =
                    msg.answers.iter().find(|r| r.owner == *qname && r.rtype() != RType::RRSIG).map(Record::rtype);
                let drop = if first == Some(RType::CNAME) { qtype } else { RType::CNAME };
                msg.answers.retain(|r| {
                    let t = match &r.data {
                        RData::Rrsig(s) => s.type_covered,
                        _ => r.rtype(),
                    };
                    !(r.owner == *qname && t == drop)
                });
            }
        }
        // RFC 2181 §5: an RRset holds no duplicate records.
        dedup_records(&mut msg.answers);
        dedup_records(&mut msg.authority);
        // NXDOMAIN for an empty non-terminal (an NSEC's next name lies below
        // the name, so names exist under it): the name exists, the answer
        // is NODATA, and is validated as such (as Unbound corrects it).
        if msg.header.rcode == Rcode::NXDOMAIN
            && msg.answers.is_empty()
            && msg.authority.iter().any(|r| {
                matches!(&r.data, RData::Nsec(n) if r.owner < *qname && n.next != *qname && n.next.is_subdomain_of(qname))
            })
        {
            msg.header.rcode = Rcode::NOERROR;
        }
        let rcode = msg.header.rcode;
        let security = match &cut.trust {
            Trust::Bogus(f) => Security::Bogus(f.clone()),
            Trust::Insecure(f) => Security::Insecure(f.clone()),
            Trust::Secure(keys) => self.validate_answer(keys, qname, qtype, &msg, work, now),
        };
        let security = blame_malformed(security, &msg.answers, &work.scrubbed, &cut.zone, now);
        work.record(|| Link::Answer {
            zone: cut.zone.clone(),
            rcode,
            rrsets: rrsets_of(&msg.answers).into_iter().chain(rrsets_of(&msg.authority)).collect(),
            state: security_state(&security),
        });
        if let (Trust::Secure(keys), Security::Secure) = (&cut.trust, &security)
            && rcode == Rcode::NOERROR
            && !msg.answers.is_empty()
            && self.cfg.cache.aggressive_nsec
            && msg.authority.iter().any(|r| matches!(r.rtype(), RType::NSEC | RType::NSEC3))
        {
            self.keep_proofs(keys, &msg.authority, work);
            // A wildcard expansion (validated with its proof): kept to
            // answer other names the proof covers (RFC 8198 §5.4).
            self.cache.learn_wildcard(&keys.zone, &msg.answers, &msg.authority, self.clock.monotonic(), now);
        }
        // A minimal positive answer keeps only its proofs (a wildcard
        // expansion's) in the authority section. An answer that needs a
        // proof cannot be minimal anyway, and is passed on in the shape the
        // authoritative server gave it, as a non-minimal answer is: the
        // zone's NS RRset and the addresses of the answer's in-zone targets
        // ride along, each only when it validates on its own (it must not
        // travel under AD unproven).
        let mut authority = msg.authority;
        let mut additional = Vec::new();
        if rcode == Rcode::NOERROR && !msg.answers.is_empty() {
            // The proofs a positive answer rests on: a wildcard expansion's
            // (NSEC or NSEC3), and that a chain's target lies below an
            // unsigned delegation (an NSEC at a cut: NS without SOA or DS;
            // NSEC3, opt-out, may cover it). Any other NSEC proves nothing
            // about this answer and is not passed on.
            let expanded = msg
                .answers
                .iter()
                .any(|r| matches!(&r.data, RData::Rrsig(s) if usize::from(s.labels) < r.owner.rrsig_label_count()));
            let cuts: Vec<Name> = authority
                .iter()
                .filter(|r| {
                    matches!(&r.data, RData::Nsec(n)
                        if n.types.contains(RType::NS) && !n.types.contains(RType::SOA) && !n.types.contains(RType::DS))
                })
                .map(|r| r.owner.clone())
                .collect();
            let is_proof = |r: &Record| match &r.data {
                RData::Rrsig(s) if s.type_covered == RType::NSEC => expanded || cuts.contains(&r.owner),
                RData::Rrsig(s) => s.type_covered == RType::NSEC3,
                RData::Nsec(_) => expanded || cuts.contains(&r.owner),
                _ => r.rtype() == RType::NSEC3,
            };
            let whole = !self.cfg.minimal_responses || authority.iter().any(is_proof);
            let ns = if whole {
                self.referral_data(cut, qname, &authority, &msg.additional, &mut additional, work)
            } else {
                Vec::new()
            };
            authority.retain(is_proof);
            authority.extend(ns);
            // An NS answer comes with its in-zone servers' addresses
            // (RFC 1034 §4.3.2's additional section processing), each
            // validated like the answer; a whole answer with those of its
            // MX and SRV targets too (RFC 1035 §3.3.9, RFC 2782).
            if qtype == RType::NS {
                let ns_set: Vec<Record> =
                    msg.answers.iter().filter(|r| r.owner == *qname && r.rtype() == RType::NS).cloned().collect();
                self.host_addresses(cut, qname, &ns_set, &msg.additional, &mut additional, work);
            } else if whole {
                // (Only the asked type, CNAMEs and DNAMEs are left in the
                // answer: no NS records here.)
                self.host_addresses(cut, &cut.zone, &msg.answers, &msg.additional, &mut additional, work);
            }
        }
        // A negative answer carries its SOA and proof, and a NODATA answer
        // the zone's NS RRset only when responses are not minimal and it
        // validates on its own (the proof does not cover it: it must not
        // ride along unvalidated under AD); the SOA lives no longer than its minimum
        // field (RFC 2308 §5), and says so to the client.
        if msg.answers.is_empty() {
            let nodata = rcode == Rcode::NOERROR;
            let ns = if self.cfg.minimal_responses || !nodata {
                Vec::new()
            } else {
                self.referral_data(cut, qname, &authority, &msg.additional, &mut additional, work)
            };
            authority.retain(|r| !is_ns_or_sig(r));
            authority.extend(ns);
            cap_soa_ttl(&mut authority);
        }
        // An RRset already in the answer is not repeated as additional data.
        let key = |r: &Record| match &r.data {
            RData::Rrsig(s) => (r.owner.clone(), s.type_covered),
            _ => (r.owner.clone(), r.rtype()),
        };
        additional.retain(|r| !msg.answers.iter().any(|a| key(a) == key(r)));
        Resolution { rcode, answers: msg.answers, authority, security, from_cache: false, additional }
    }

    /// The NSEC/NSEC3 RRsets of a secure positive answer's authority
    /// section that verify with the zone's keys, kept for later DS
    /// questions ([`Cache::proofs`]).
    pub(crate) fn keep_proofs(&self, keys: &TrustedKeys, authority: &[Record], work: &mut Work) {
        let now = self.clock.unix();
        let mut kept = Vec::new();
        for (owner, rtype) in
            rrset_keys(authority).into_iter().filter(|(_, t)| matches!(*t, RType::NSEC | RType::NSEC3))
        {
            kept.extend(self.verified_rrset(Some(keys), authority, &owner, rtype, work).unwrap_or_default());
        }
        self.cache.learn_proofs(&keys.zone, kept, self.clock.monotonic(), now);
    }
}
