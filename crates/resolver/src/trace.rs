//! The chain of trust as one resolution walked it, link by link, for
//! diagnostic tools (`candor trace`): which DS vouched for which DNSKEY,
//! which RRSIGs covered what, and where it broke. Recorded only when asked
//! for ([`crate::Resolver::trace`]); the serving path records nothing.

use candor_wire::{Dnskey, Ds, Name, RData, RType, Rcode, Record, Rrsig};

use crate::answer::scrub::DropReason;
use crate::security::Security;

/// One link of the chain of trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// A zone's DNSKEY RRset, trusted (or not) from the DS set above it
    /// or from the trust anchor.
    Keys {
        /// The zone.
        zone: Name,
        /// The DS records it was checked against (the anchor's at the root).
        ds: Vec<Ds>,
        /// Keys trusted directly by the anchor.
        anchor_keys: Vec<Dnskey>,
        /// The DNSKEY RRset as served.
        dnskeys: Vec<Dnskey>,
        /// The RRSIGs over it.
        rrsigs: Vec<Rrsig>,
        /// How the link held: secure (proven), insecure (no DS proven, or
        /// only unsupported algorithms, digests or NSEC3 parameters: the
        /// failure says which), bogus (the failure says how).
        state: Security,
    },
    /// A delegation from a secure parent: its signed DS RRset.
    Ds {
        /// The parent zone (the signer).
        parent: Name,
        /// The child zone.
        child: Name,
        /// The DS RRset.
        ds: Vec<Ds>,
        /// The parent's RRSIGs over it.
        rrsigs: Vec<Rrsig>,
        /// How the link held: secure (proven), insecure (no DS proven, or
        /// only unsupported algorithms, digests or NSEC3 parameters: the
        /// failure says which), bogus (the failure says how).
        state: Security,
    },
    /// A delegation from a secure parent without DS: the parent's proof
    /// that there is none (the child is insecure) or its failure.
    NoDs {
        /// The parent zone.
        parent: Name,
        /// The child zone.
        child: Name,
        /// The proof was an NSEC3 opt-out span (RFC 5155 §6).
        opt_out: bool,
        /// How the link held: secure (proven), insecure (no DS proven, or
        /// only unsupported algorithms, digests or NSEC3 parameters: the
        /// failure says which), bogus (the failure says how).
        state: Security,
    },
    /// A referral the admission gate left records out of (recorded only
    /// then).
    Referral {
        /// The zone whose server gave the referral.
        parent: Name,
        /// The child zone.
        child: Name,
        /// What the gate left out, and why.
        dropped: Vec<(Name, RType, DropReason)>,
        /// The parent zone's state (the referral itself proves nothing).
        state: Security,
    },
    /// The answer (or its denial) in the zone that served it.
    Answer {
        /// The zone.
        zone: Name,
        /// The response code.
        rcode: Rcode,
        /// Each RRset of the answer and authority sections with its RRSIGs.
        rrsets: Vec<(Name, RType, Vec<Rrsig>)>,
        /// What the admission gate left out of the response, and why.
        dropped: Vec<(Name, RType, DropReason)>,
        /// How the link held: secure (proven), insecure (no DS proven, or
        /// only unsupported algorithms, digests or NSEC3 parameters: the
        /// failure says which), bogus (the failure says how).
        state: Security,
    },
}

impl Link {
    /// How the link held.
    pub fn state(&self) -> &Security {
        match self {
            Link::Keys { state, .. }
            | Link::Ds { state, .. }
            | Link::NoDs { state, .. }
            | Link::Referral { state, .. }
            | Link::Answer { state, .. } => state,
        }
    }
}

/// The RRSIGs among `records` covering `owner`/`rtype`, owned.
pub(crate) fn sigs_of(records: &[Record], owner: &Name, rtype: RType) -> Vec<Rrsig> {
    records
        .iter()
        .filter_map(|r| match &r.data {
            RData::Rrsig(s) if r.owner == *owner && s.type_covered == rtype => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// Every RRset of `records` (RRSIGs aside) with the RRSIGs covering it.
pub(crate) fn rrsets_of(records: &[Record]) -> Vec<(Name, RType, Vec<Rrsig>)> {
    let mut out: Vec<(Name, RType, Vec<Rrsig>)> = Vec::new();
    for r in records {
        let t = r.rtype();
        if t == RType::RRSIG || out.iter().any(|(o, ty, _)| *o == r.owner && *ty == t) {
            continue;
        }
        out.push((r.owner.clone(), t, sigs_of(records, &r.owner, t)));
    }
    out
}
