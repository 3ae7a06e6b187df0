//! What the prefetch queue carries (a leaf, so the resolver that holds the
//! queue and the prefetch task that reads it need not import each other).

use candor_wire::{Name, RType};

/// What a prefetch refreshes.
#[derive(Debug)]
pub(crate) enum Refresh {
    /// The answer to a question.
    Answer(Name, RType),
    /// A zone cut: its servers, DS and DNSKEY RRsets.
    Cut(Name),
}
