//! # candor-resolver
//!
//! The engine: cache, iterator and validator behind
//! `Resolver::resolve(question, client flags) -> Resolution`, with the
//! network and the clock coming in through the `Transport` and `Clock`
//! seams, and the mapping from validation failures to EDE codes.
//!
//! **Owns**: [`Resolver::resolve`] (iteration from the root with priming,
//! QNAME minimisation, glue and name-server look-ups, server selection,
//! TC to TCP, EDNS fallback, CNAME/DNAME chains, locally served zones,
//! negative trust anchors, RFC 5011 for the root, forward and stub zones),
//! the [`Validator`] steps,
//! the answer [`Cache`] (with its RRset cache, the RFC 8020 NXDOMAIN cut
//! and the RFC 8198 NSEC/NSEC3 store), the [`Outbound`] address policy, the
//! budgets, and
//! [`Failure`] with its EDE code and operator extra-text; the [`Clock`]
//! and [`Transport`] seams with their production implementations.
//!
//! **Must not know about**: listening sockets, clients, ACLs; the lab and
//! replay crates (test infrastructure) are at most dev-dependencies.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod answer;
mod budget;
mod cache;
mod chain;
mod clock;
mod commit;
mod config;
mod failure;
mod hints;
mod iterator;
mod outbound;
mod policy;
mod records;
mod resolver;
mod security;
mod sync;
mod trace;
mod transport;
mod validator;
mod work;

pub use cache::{Cache, CacheLimits, CacheStats};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, Forward};
pub use failure::{BudgetKind, Failure, FailureKind};
pub use hints::{HintsError, IANA_ROOT_HINTS, RootHints};
pub use outbound::{Outbound, Prefix};
pub use resolver::Resolver;
pub use security::{Resolution, Security};
pub use trace::Link;
pub use transport::{NetTransport, Protocol, Transport, TransportError, matches_query};
pub use validator::verify::{Budget, KeyInput, Spent, Trust, TrustedKeys, Validator, rrsigs_for};
