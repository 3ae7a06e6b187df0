//! # candor-replay
//!
//! Plays Unbound and Deckard `.rpl` scenarios against a real resolver
//! through its `Transport` and `Clock` seams.
//!
//! **Must not know about**: the serving path; the corpus itself stays in
//! the shared directory and is never copied into the repository.
//!
//! **Status**: not built yet (issue 8).
