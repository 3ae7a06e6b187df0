//! The verdict, [`Security`]: what a [`Resolution`] handed to the server is
//! worth, what the RRset cache keeps with each RRset, and how each link of
//! a trace held. (A zone's keys add one thing to it: the keys themselves,
//! in [`crate::Trust`].) A leaf module: everything that carries a verdict
//! imports it; it imports nothing of the resolver's stages.

use candor_wire::{Rcode, Record};

use crate::failure::Failure;

/// What the resolver concluded about the data it returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    /// Proven by the chain of trust: AD-worthy.
    Secure,
    /// Provably not signed, or signed only in ways this resolver does not
    /// validate; the failure value (if any) carries the informational EDE.
    Insecure(Option<Box<Failure>>),
    /// Validation failed.
    Bogus(Box<Failure>),
    /// No answer could be had at all.
    Servfail(Box<Failure>),
}

impl Security {
    /// Bogus, failing with `f` (boxed: a verdict is kept with every cached
    /// answer and RRset, and most carry no failure at all).
    pub fn bogus(f: Failure) -> Security {
        Security::Bogus(Box::new(f))
    }

    /// No answer, failing with `f`.
    pub fn servfail(f: Failure) -> Security {
        Security::Servfail(Box::new(f))
    }

    /// Insecure, with `f` (an informational EDE).
    pub fn insecure_with(f: Failure) -> Security {
        Security::Insecure(Some(Box::new(f)))
    }
}

/// The outcome of one resolution.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// The rcode to give the client (before bogus/servfail handling).
    pub rcode: Rcode,
    /// Answer records (CNAME chain included).
    pub answers: Vec<Record>,
    /// Authority records (SOA and denial records for negative answers).
    pub authority: Vec<Record>,
    /// The verdict.
    pub security: Security,
    /// Served from the cache (a cached bogus result adds EDE 13).
    pub from_cache: bool,
    /// Additional records (name-server addresses), only when responses
    /// are not minimal ([`crate::Config::minimal_responses`] off).
    pub additional: Vec<Record>,
    /// Expired data served because its refresh failed (RFC 8767): the
    /// server adds EDE 3 (19 for a negative answer) saying since when and why.
    pub stale: Option<Box<Stale>>,
}

/// What a stale answer tells the client about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// When the data expired, in seconds since the epoch.
    pub expired_at: u64,
    /// Why it was not refreshed: the refresh's failure, or that it is
    /// still under way.
    pub why: String,
}

impl Resolution {
    /// No answer: SERVFAIL carrying `f`.
    pub fn servfail(f: Failure) -> Resolution {
        Resolution {
            rcode: Rcode::SERVFAIL,
            answers: Vec::new(),
            authority: Vec::new(),
            security: Security::servfail(f),
            from_cache: false,
            additional: Vec::new(),
            stale: None,
        }
    }

    /// An answer made of cached RRsets (secure or insecure).
    pub(crate) fn cached(rcode: Rcode, answers: Vec<Record>, security: Security) -> Resolution {
        Resolution {
            rcode,
            answers,
            authority: Vec::new(),
            security,
            from_cache: true,
            additional: Vec::new(),
            stale: None,
        }
    }
}

/// The worst verdict of a CNAME chain's links.
pub(crate) fn combine(v: Vec<Security>) -> Security {
    let mut out = Security::Secure;
    for s in v {
        out = match (&out, s) {
            (Security::Servfail(_) | Security::Bogus(_), _) => return out,
            (_, s @ (Security::Servfail(_) | Security::Bogus(_))) => return s,
            (Security::Insecure(Some(_)), _) => out,
            (_, s @ Security::Insecure(_)) => s,
            (_, Security::Secure) => out,
        };
    }
    out
}
