//! # candor-resolver
//!
//! The engine: cache, iterator and validator behind
//! `Resolver::resolve(question, client flags) -> Resolution`, with the
//! network and the clock coming in through the `Transport` and `Clock`
//! seams, and the mapping from validation failures to EDE codes.
//!
//! **Must not know about**: listening sockets, clients, ACLs; the lab and
//! replay crates (test infrastructure) are at most dev-dependencies.
//!
//! **Status**: not built yet (issue 6).
