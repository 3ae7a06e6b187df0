//! # candor-lab
//!
//! The broken-zone lab: a signer, the catalogue of deliberately broken
//! cases, and loopback authoritative servers for them.
//!
//! **Must not know about**: the resolver's internals; it serves zones like
//! any authoritative server would.
//!
//! **Status**: not built yet (issue 5).
