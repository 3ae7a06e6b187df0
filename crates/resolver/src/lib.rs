//! # candor-resolver
//!
//! The engine: cache, iterator and validator behind
//! `Resolver::resolve(question, client flags) -> Resolution`, with the
//! network and the clock coming in through the `Transport` and `Clock`
//! seams, and the mapping from validation failures to EDE codes.
//!
//! **Built so far**: [`Failure`] and its EDE mapping with operator
//! extra-text; the validator's sans-I/O steps ([`Validator`]): trusting a
//! zone's DNSKEY RRset from its DS set or an anchor, and verifying RRsets
//! under those keys, within a KeyTrap budget; the [`Clock`] seam
//! ([`SystemClock`], [`ManualClock`]); the [`Transport`] seam with the
//! production [`NetTransport`].
//!
//! **Not built yet** (issue 6): the iterator, the cache, budgets for
//! resolution, the outbound address policy, and `Resolver::resolve`.
//!
//! **Must not know about**: listening sockets, clients, ACLs; the lab and
//! replay crates (test infrastructure) are at most dev-dependencies.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod cache;
mod clock;
mod failure;
mod hints;
mod local;
mod outbound;
mod resolve;
mod select;
mod transport;
mod validator;

pub use cache::{Cache, CacheLimits, CacheStats};
pub use clock::{Clock, ManualClock, SystemClock};
pub use failure::{Failure, FailureKind};
pub use hints::{HintsError, IANA_ROOT_HINTS, RootHints};
pub use outbound::{Outbound, Prefix};
pub use resolve::{Config, Resolution, Resolver, Security};
pub use select::ServerStats;
pub use transport::{NetTransport, Protocol, Transport, TransportError, matches_query};
pub use validator::{Budget, KeyInput, KeysOutcome, Spent, TrustedKeys, Validator, rrsigs_for};
