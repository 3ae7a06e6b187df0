//! What the client gets beside the answer: the zone's NS RRset and the
//! addresses of in-zone NS/MX/SRV targets, each passed on only when it
//! verifies on its own.

use candor_wire::{Name, RData, RType, Rcode, Record};

use crate::clock::Clock;
use crate::iterator::cuts::{Cut, trusted};
use crate::records::{cap_soa_ttl, dedup_records, is_ns_or_sig, rrset_keys};
use crate::resolver::Resolver;
use crate::transport::Transport;
use crate::work::Work;

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// The authority and additional sections of an answer the validator
    /// has judged: a minimal positive answer keeps only the proofs it rests
    /// on; an answer that needs a proof (or a non-minimal one) carries the
    /// zone's NS RRset and its targets' addresses, each only when it
    /// verifies; a negative answer its SOA (TTL capped by its minimum) and
    /// proof; no RRset of the answer repeated as additional data.
    #[allow(clippy::too_many_arguments, reason = "the parts of one response, each borrowed as the step needs it")]
    pub(crate) fn sections(
        &self,
        cut: &Cut,
        qname: &Name,
        qtype: RType,
        rcode: Rcode,
        answers: &[Record],
        authority: Vec<Record>,
        extra: &[Record],
        work: &mut Work,
    ) -> (Vec<Record>, Vec<Record>) {
        // A minimal positive answer keeps only its proofs (a wildcard
        // expansion's) in the authority section. An answer that needs a
        // proof cannot be minimal anyway, and is passed on in the shape the
        // authoritative server gave it, as a non-minimal answer is: the
        // zone's NS RRset and the addresses of the answer's in-zone targets
        // ride along, each only when it validates on its own (it must not
        // travel under AD unproven).
        let mut authority = authority;
        let mut additional = Vec::new();
        if rcode == Rcode::NOERROR && !answers.is_empty() {
            // The proofs a positive answer rests on: a wildcard expansion's
            // (NSEC or NSEC3), and that a chain's target lies below an
            // unsigned delegation (an NSEC at a cut: NS without SOA or DS;
            // NSEC3, opt-out, may cover it). Any other NSEC proves nothing
            // about this answer and is not passed on.
            let expanded = answers
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
                self.referral_data(cut, qname, &authority, extra, &mut additional, work)
            } else {
                Vec::new()
            };
            authority.retain(is_proof);
            // A wildcard expansion's proof was verified with the answer;
            // any other proof passes on only when it verifies on its own
            // (it must not travel under AD unproven).
            if !expanded && let Some(keys) = trusted(cut) {
                let mut verified = Vec::with_capacity(authority.len());
                for (owner, rtype) in rrset_keys(&authority) {
                    verified
                        .extend(self.verified_rrset(Some(keys), &authority, &owner, rtype, work).unwrap_or_default());
                }
                authority = verified;
            }
            authority.extend(ns);
            // An NS answer comes with its in-zone servers' addresses
            // (RFC 1034 §4.3.2's additional section processing), each
            // validated like the answer; a whole answer with those of its
            // MX and SRV targets too (RFC 1035 §3.3.9, RFC 2782).
            if qtype == RType::NS {
                let ns_set: Vec<Record> =
                    answers.iter().filter(|r| r.owner == *qname && r.rtype() == RType::NS).cloned().collect();
                self.host_addresses(cut, qname, &ns_set, extra, &mut additional, work);
            } else if whole {
                // (Only the asked type, CNAMEs and DNAMEs are left in the
                // answer: no NS records here.)
                self.host_addresses(cut, &cut.zone, answers, extra, &mut additional, work);
            }
        }
        // A negative answer carries its SOA and proof, and a NODATA answer
        // the zone's NS RRset only when responses are not minimal and it
        // validates on its own (the proof does not cover it: it must not
        // ride along unvalidated under AD); the SOA lives no longer than its minimum
        // field (RFC 2308 §5), and says so to the client.
        if answers.is_empty() {
            let nodata = rcode == Rcode::NOERROR;
            let ns = if self.cfg.minimal_responses || !nodata {
                Vec::new()
            } else {
                self.referral_data(cut, qname, &authority, extra, &mut additional, work)
            };
            // Nor does a DS RRset (the denial's check passes over DS and NS
            // sets: they are no part of a negative answer).
            authority.retain(|r| !is_ns_or_sig(r) && !covers_type(r, RType::DS));
            authority.extend(ns);
            cap_soa_ttl(&mut authority);
        }
        // An RRset already in the answer is not repeated as additional data.
        let key = |r: &Record| match &r.data {
            RData::Rrsig(s) => (r.owner.clone(), s.type_covered),
            _ => (r.owner.clone(), r.rtype()),
        };
        additional.retain(|r| !answers.iter().any(|a| key(a) == key(r)));
        (authority, additional)
    }

    /// For non-minimal responses: the zone's NS RRset from `authority` and
    /// its in-zone servers' addresses from `extra` (into `additional`),
    /// each with its RRSIGs and, in a secure zone, only if it verifies.
    pub(crate) fn referral_data(
        &self,
        cut: &Cut,
        qname: &Name,
        authority: &[Record],
        extra: &[Record],
        additional: &mut Vec<Record>,
        work: &mut Work,
    ) -> Vec<Record> {
        // The zone the answer comes from: the cut's, or a zone between it
        // and the name that the same servers serve (its NS RRset then
        // verifies only where that zone is insecure).
        let Some(zone) = authority
            .iter()
            .filter(|r| r.rtype() == RType::NS && qname.is_subdomain_of(&r.owner) && r.owner.is_subdomain_of(&cut.zone))
            .map(|r| r.owner.clone())
            .max_by_key(Name::label_count)
        else {
            return Vec::new();
        };
        let Some(ns) = self.verified_rrset(trusted(cut), authority, &zone, RType::NS, work) else { return Vec::new() };
        self.host_addresses(cut, &zone, &ns, extra, additional, work);
        ns
    }

    /// The addresses in `extra` of the hosts that records in `records` name
    /// inside `zone` (NS, MX and SRV targets; into `additional`), each with
    /// its RRSIGs and, in a secure zone, only if it verifies.
    pub(crate) fn host_addresses(
        &self,
        cut: &Cut,
        zone: &Name,
        records: &[Record],
        extra: &[Record],
        additional: &mut Vec<Record>,
        work: &mut Work,
    ) {
        let hosts = records.iter().filter_map(|r| match &r.data {
            RData::Ns(n) => Some(n),
            RData::Mx(m) => Some(&m.exchange),
            RData::Srv(s) => Some(&s.target),
            _ => None,
        });
        for host in hosts.filter(|h| h.is_subdomain_of(zone)) {
            for t in [RType::A, RType::AAAA] {
                if let Some(records) = self.verified_rrset(trusted(cut), extra, host, t, work) {
                    additional.extend(records);
                }
            }
        }
        dedup_records(additional);
    }
}

/// Whether `r` is of `rtype` or an RRSIG over an RRset of it.
fn covers_type(r: &Record, rtype: RType) -> bool {
    match &r.data {
        RData::Rrsig(s) => s.type_covered == rtype,
        _ => r.rtype() == rtype,
    }
}
