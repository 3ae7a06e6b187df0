//! # candor-crypto
//!
//! DNSSEC cryptography: building the data an RRSIG covers, verifying
//! signatures (algorithms 8, 10, 13, 14, 15; RSASHA1 behind a runtime
//! policy), DS digests, key tags, NSEC3 hashing, and signing for the lab.
//!
//! **Must not know about**: networks, caches, resolution or validation
//! policy beyond "this signature verifies with this key at this time".
//!
//! **Status**: not built yet (issue 3); this crate is an empty shell so the
//! workspace has its final shape.
