//! An authority's answer in the cut's zone, from response to
//! [`Resolution`]: the admission gate (`scrub`), validation with the cut's
//! keys, what a secure answer teaches the RFC 8198 store, and the sections
//! the client gets (`sections`).
pub(crate) mod scrub;
pub(crate) mod sections;

use candor_wire::{Message, Name, RType, Rcode, Record};

use crate::answer::scrub::{Admitted, scrub};
use crate::clock::Clock;
use crate::iterator::cuts::Cut;
use crate::records::rrset_keys;
use crate::resolver::Resolver;
use crate::security::{Resolution, Security};
use crate::trace::{Link, rrsets_of};
use crate::transport::Transport;
use crate::validator::answer::blame_malformed;
use crate::validator::verify::{Trust, TrustedKeys};
use crate::work::{Learned, Work};

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// Validate an authoritative response in the cut's zone.
    pub(crate) fn finish(&self, cut: &Cut, qname: &Name, qtype: RType, msg: Message, work: &mut Work) -> Resolution {
        let now = self.clock.unix();
        let Admitted { msg, dropped } = scrub(&cut.zone, qname, qtype, msg);
        let rcode = msg.header.rcode;
        let security = match &cut.trust {
            Trust::Bogus(f) => Security::bogus(f.clone()),
            Trust::Insecure(f) => Security::Insecure(f.clone().map(Box::new)),
            Trust::Secure(keys) => self.validate_answer(keys, qname, qtype, &msg, work, now),
        };
        let security = blame_malformed(security, &msg.answers, &work.scrubbed, &cut.zone, now);
        work.record(|| Link::Answer {
            zone: cut.zone.clone(),
            rcode,
            rrsets: rrsets_of(&msg.answers).into_iter().chain(rrsets_of(&msg.authority)).collect(),
            dropped: dropped.iter().map(|(r, why)| (r.owner.clone(), r.rtype(), *why)).collect(),
            state: security.clone(),
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
            work.learned.push(Learned::Wildcard {
                zone: keys.zone.clone(),
                answers: msg.answers.clone(),
                authority: msg.authority.clone(),
            });
        }
        let (authority, additional) =
            self.sections(cut, qname, qtype, rcode, &msg.answers, msg.authority, &msg.additional, work);
        Resolution { rcode, answers: msg.answers, authority, security, from_cache: false, additional, stale: None }
    }

    /// The NSEC/NSEC3 RRsets of a secure positive answer's authority
    /// section that verify with the zone's keys, kept for later DS
    /// questions ([`Cache::proofs`]).
    pub(crate) fn keep_proofs(&self, keys: &TrustedKeys, authority: &[Record], work: &mut Work) {
        let mut kept = Vec::new();
        for (owner, rtype) in
            rrset_keys(authority).into_iter().filter(|(_, t)| matches!(*t, RType::NSEC | RType::NSEC3))
        {
            kept.extend(self.verified_rrset(Some(keys), authority, &owner, rtype, work).unwrap_or_default());
        }
        work.learned.push(Learned::Proofs { zone: keys.zone.clone(), records: kept });
    }
}
