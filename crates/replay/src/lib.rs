//! # candor-replay
//!
//! Plays Unbound and Deckard `.rpl` scenarios against a real resolver
//! through its `Transport` and `Clock` seams: the scenario's canned
//! servers answer the resolver's queries ([`SimNet`]), its time model
//! drives the clock ([`SimClock`]), and the replies the server shapes are
//! compared with the expected ones as ../shared/rpl/FORMAT.md §6.4
//! recommends.
//!
//! **Must not know about**: the serving path (the caller hands in how a
//! query becomes a reply); the corpus itself stays in the shared directory
//! and is never copied into the repository.
//!
//! **Known limitations**: raw HEX answers get only the query's ID patched
//! in (not its name's spelling, so 0x20 must stay off in replays); the
//! scenario features candor does not model (some `val-*`/`harden-*`
//! options, Unbound's own counters) make a scenario `UNSUPPORTED`, never
//! a silent pass.

mod compare;
mod net;
mod parse;
mod run;

pub use compare::Tier;
pub use net::{SimClock, SimNet};
pub use parse::{Dialect, Entry, ParseError, Range, Scenario, Step, parse};
pub use run::{Answerer, Outcome, run};
