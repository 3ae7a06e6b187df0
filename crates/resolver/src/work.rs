//! The state of one resolution: what it spent of its budgets, the trace when one was asked for, the glue referrals gave, the
//! last server that answered, and the records the wire scrubber left out.

use crate::budget::Budget;
use crate::trace::Link;
use candor_wire::{Name, RType};
use std::net::{IpAddr, SocketAddr};

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
