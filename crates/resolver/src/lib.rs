//! # candor-resolver
//!
//! The engine: cache, iterator and validator behind
//! `Resolver::resolve(question, client flags) -> Resolution`, with the
//! network and the clock coming in through the `Transport` and `Clock`
//! seams, and the mapping from validation failures to EDE codes.
//!
//! **Built so far**: [`Failure`] and its EDE mapping with operator
//! extra-text, and the validator's sans-I/O steps ([`Validator`]):
//! trusting a zone's DNSKEY RRset from its DS set or an anchor, and
//! verifying RRsets under those keys, within a KeyTrap budget.
//!
//! **Not built yet** (issue 6): the iterator, the transports, the cache,
//! budgets for resolution, and `Resolver::resolve`.
//!
//! **Must not know about**: listening sockets, clients, ACLs; the lab and
//! replay crates (test infrastructure) are at most dev-dependencies.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod failure;
mod validator;

pub use failure::{Failure, FailureKind};
pub use validator::{Budget, KeyInput, KeysOutcome, Spent, TrustedKeys, Validator, rrsigs_for};
