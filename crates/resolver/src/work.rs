//! The state of one resolution: what it spent of its budgets, the trace when one was asked for, the glue referrals gave, the
//! last server that answered, and the records the wire scrubber left out.

use std::net::{IpAddr, SocketAddr};

use candor_wire::{Name, RType, Record};

use crate::budget::Budget;
use crate::security::Resolution;
use crate::trace::Link;

/// Per-resolution state.
#[derive(Debug, Default)]
pub(crate) struct Work {
    /// What the resolution has spent of its budgets.
    pub(crate) budget: Budget,
    /// The chain of trust as walked, when a trace was asked for.
    pub(crate) trace: Option<Vec<Link>>,
    /// In-bailiwick glue seen in referrals: (name server, address), the
    /// parent side's word, kept for when the child side's lookup fails.
    pub(crate) glue: Vec<(Name, IpAddr)>,
    /// The server that gave the last usable response.
    pub(crate) last_server: Option<SocketAddr>,
    /// Records left out of responses for malformed RDATA: owner and type.
    pub(crate) scrubbed: Vec<(Name, RType)>,
    /// What validation proved along the way, for the caches: written by
    /// the commit step ([`crate::Resolver`]'s `commit`), never from inside
    /// a validation function.
    pub(crate) learned: Vec<Learned>,
    /// Refreshing a zone cut (key prefetch): the walk starts above the
    /// asked name, so the parent's referral, DS and the zone's DNSKEY
    /// RRset are fetched again.
    pub(crate) refreshing_cut: bool,
}

/// Something validation proved that the caches keep for other questions.
#[derive(Debug)]
pub(crate) enum Learned {
    /// A verified secure RRset with its RRSIGs, met outside an answer: a
    /// referral's DS RRset, a DNAME beside a forged CNAME.
    Rrset(Vec<Record>),
    /// The verified NSEC records of a referral's proof that a child has no
    /// DS, signed by `zone` (RFC 8198).
    NoDsProof { zone: Name, section: Vec<Record> },
    /// The verified NSEC/NSEC3 RRsets a secure positive answer of `zone`
    /// carried (they may prove a DS absent later).
    Proofs { zone: Name, records: Vec<Record> },
    /// A secure answer of `zone` with its proof (a wildcard expansion, kept
    /// to answer other names the proof covers: RFC 8198 §5.4).
    Wildcard { zone: Name, answers: Vec<Record>, authority: Vec<Record> },
    /// A negative answer for `name`/`qtype`, proven by its own zone's keys
    /// though another zone's response carried it.
    Negative { name: Name, qtype: RType, resolution: Resolution },
}

impl Work {
    /// Note a link of the main resolution (not of name-server lookups).
    pub(crate) fn record(&mut self, link: impl FnOnce() -> Link) {
        if self.budget.depth == 0
            && let Some(t) = self.trace.as_mut()
        {
            t.push(link());
        }
    }
}
