//! # candor-resolver
//!
//! The engine: `Resolver::resolve(name, type) -> Resolution`, with the
//! network and the clock coming in through the [`Transport`] and [`Clock`]
//! seams, and the mapping from validation failures to EDE codes.
//!
//! A question passes these stages, each a module named after it:
//! - [`resolver`](Resolver): the struct, its operator API and the
//!   `resolve()` shell (cache first, then the chain, then the commit);
//! - `policy`: locally served zones, negative trust anchors, the RFC 8509
//!   key sentinel;
//! - `chain`: CNAME/DNAME following, link by link;
//! - `iterator`: from the deepest known cut down through referrals, with
//!   QNAME minimisation (`iterator::{cuts, query, referral, forward,
//!   select, dead_ends}`: the minimised names that led nowhere lately are
//!   skipped, and a server that truncates is asked over TCP first);
//! - `answer`: the admission gate (`answer::scrub`, a pure function of
//!   response, zone and question), validation, and the sections the client
//!   gets (`answer::sections`);
//! - `validator`: the chain of trust per zone cut, denial proofs, answers,
//!   RFC 5011, and the sans-I/O verification steps (`validator::verify`);
//! - `commit`: what validation proved, written to the caches in one step;
//! - `cache`: answers, RRsets with their verdict, negative knowledge and
//!   the RFC 8198 store (`cache::{rrsets, negative, aggressive}`);
//! - `security` (the verdict), `budget` (the work one question may
//!   spend; `budget_kind`: one [`BudgetKind`] per budget), `counters`
//!   (upstream outcomes, round-trip times, verdicts, budget trips, for the
//!   operator's metrics), `reload` (what a reloaded resolver takes over),
//!   `prefetch` (answers and zone cuts refreshed ahead of expiry), `persist` (the
//!   caches saved to an authenticated file and read back, secure data
//!   verified again; `cache::saved` says what of the cache is kept),
//!   `expiry` (the zones
//!   whose signatures end soon, from live traffic), `cache::stale`
//!   (serve-stale, RFC 8767),
//!   `failure` ([`Failure`], its EDEs and the sentences of its text),
//!   `evidence` (the records, keys, hashes and servers a failure names),
//!   `why` (the last failure per question, for `control why`), `skew`
//!   (the clock suspected from several zones' signature windows), `trace`
//!   and `trace_lines` (the chain as walked, and as text).
//!
//! **Owns**: iteration from the root with priming, QNAME minimisation,
//! glue and name-server look-ups, server selection, TC to TCP, EDNS
//! fallback, CNAME/DNAME chains, locally served zones, negative trust
//! anchors, RFC 5011 for the root, forward and stub zones; the
//! [`Validator`] steps; the [`Cache`]; the [`Outbound`] address policy;
//! the budgets; [`Failure`] with its EDE code and operator extra-text; the
//! [`Clock`] and [`Transport`] seams with their production implementations
//! (`socket_pool`: the upstream UDP sockets, reused from random slots;
//! `tcp_pool`: upstream TCP connections kept for the next question;
//! `cookies`: DNS cookies toward authorities, a client cookie per server
//! and the server cookies learnt).
//!
//! **Must not know about**: listening sockets, clients, ACLs and response
//! shaping (`candor-server`'s); the lab and replay crates (test
//! infrastructure) are at most dev-dependencies.
//!
//! **Known limitations**: cache sizes are estimates of what entries hold
//! (records, names, RDATA), not allocator truth; the NSEC store and the
//! glue are bounded by record and name counts, not bytes; `classify`
//! reads a response before the admission gate does (it only decides
//! answer, referral or lame); 0x20 leaves mixed-case owner names that a
//! server wrote out in full (not compressed against the question) as the
//! server spelled them, and failure texts spell names as the question did
//! (a forwarder's 0x20 shows there). The RRset cache look-up still copies
//! its key. Failure evidence names servers by name only when a referral's
//! glue or a look-up gave the name (the root hints' are not named); the
//! kept failures hold evidence, not the links of the resolution. Only the
//! answer cache serves stale data (not the RRset store or the RFC 8198
//! proofs); key prefetch refreshes a zone cut as a whole (servers, DS,
//! DNSKEY), not the DS or DNSKEY RRset alone; a bogus failure names the
//! server that sent the data as the one that answered last (its
//! [`Failure::server`], for the logs), not in its extra-text. A saved cache is read back in
//! one pass that verifies every secure entry again (a large cache takes
//! its verifications' time before start-up completes); insecure entries
//! rest on the file's authentication alone.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod answer;
mod budget;
mod budget_kind;
mod bytes;
mod cache;
mod chain;
mod clock;
mod commit;
mod config;
mod cookies;
mod counters;
mod evidence;
mod expiry;
mod failure;
mod hints;
mod inflight;
mod iterator;
mod outbound;
mod persist;
mod policy;
mod prefetch;
mod records;
mod refresh;
mod reload;
mod resolver;
mod security;
mod skew;
mod socket_pool;
mod sync;
mod tcp_pool;
pub mod time_text;
mod trace;
mod trace_lines;
mod transport;
mod validator;
mod why;
mod work;

pub use answer::scrub::DropReason;
pub use cache::{Cache, CacheLimits, CacheStats};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, Forward};
pub use counters::{Counters, Histogram, Upstream, VERDICTS};
pub use evidence::{DsMismatch, DsRef, DsSource, Evidence, KeyRef, Outcome, ServerTry, SigRef};
pub use failure::{BudgetKind, Failure, FailureKind, Source};
pub use hints::{HintsError, IANA_ROOT_HINTS, RootHints};
pub use outbound::{Outbound, Prefix};
pub use persist::{MAX_FILE, PersistError, Restored, Saved, key_path};
pub use reload::TakeOver;
pub use resolver::Resolver;
pub use security::{Resolution, Security, Stale};
pub use skew::{Direction, Suspicion};
pub use trace::Link;
pub use transport::{NetTransport, Protocol, Transport, TransportError, matches_query};
pub use validator::verdicts::{VERDICTS_KEPT, VerdictKey, Verdicts};
pub use validator::verify::{KeyInput, Spent, Trust, TrustedKeys, ValidationLimits, Validator, rrsigs_for};
pub use why::KeptFailure;
