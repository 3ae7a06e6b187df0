//! The last failures, kept for `candor control why NAME [TYPE]`: per
//! question, the failure with every piece of its evidence (untruncated:
//! a client's reply may have cut its texts) and when it happened. Bounded
//! by count and by a share of the cache's memory budget; the least
//! recently failed go first.

use candor_wire::{Name, RType};

use crate::bytes::ByteLru;
use crate::failure::Failure;
use crate::sync::lock;

/// Questions whose last failure is kept, at most.
pub(crate) const MAX_KEPT: usize = 4096;

/// One kept failure.
#[derive(Debug, Clone)]
pub struct KeptFailure {
    /// When it happened (Unix seconds).
    pub at: u64,
    /// Bogus (validation) rather than unanswered.
    pub bogus: bool,
    /// The failure.
    pub failure: Failure,
}

/// The store.
pub(crate) struct Failures {
    map: std::sync::Mutex<ByteLru<(Name, RType), KeptFailure>>,
}

impl Failures {
    /// At most [`MAX_KEPT`] questions in about `memory` bytes.
    pub(crate) fn new(memory: usize) -> Failures {
        Failures { map: std::sync::Mutex::new(ByteLru::new(MAX_KEPT, memory, weigh)) }
    }

    /// Keep `f` as the last failure of `qname`/`qtype`.
    pub(crate) fn keep(&self, qname: &Name, qtype: RType, kept: KeptFailure) {
        lock(&self.map).put((qname.to_lowercase(), qtype), kept);
    }

    /// The last failure of `qname`/`qtype`, if still kept.
    pub(crate) fn get(&self, qname: &Name, qtype: RType) -> Option<KeptFailure> {
        lock(&self.map).get(&(qname.to_lowercase(), qtype)).cloned()
    }
}

/// The estimated size of a kept failure: its key, its names, and its
/// evidence as written out (what `why` prints, about).
fn weigh(k: &(Name, RType), v: &KeptFailure) -> usize {
    k.0.wire_len() + v.failure.zone.wire_len() + 200 + v.failure.account().len()
}
