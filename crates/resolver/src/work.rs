//! The state of one resolution: the counters its budgets are checked
//! against, the trace when one was asked for, the glue referrals gave, the
//! last server that answered, and the records the wire scrubber left out.

use crate::trace::Link;
use crate::validator::verify::Spent;
use candor_wire::{Name, RType};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Per-resolution counters.
#[derive(Debug, Default)]
pub(crate) struct Work {
    /// When the resolution started (monotonic).
    pub(crate) started: Duration,
    pub(crate) queries: u32,
    pub(crate) spent: Spent,
    /// Nesting of name-server address lookups.
    pub(crate) depth: u8,
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
        if self.depth == 0
            && let Some(t) = self.trace.as_mut()
        {
            t.push(link());
        }
    }
}
