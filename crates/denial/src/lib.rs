//! # candor-denial
//!
//! NSEC and NSEC3 proofs of non-existence: NXDOMAIN, NODATA, wildcard,
//! no-DS and opt-out proofs as values, failures as typed errors.
//!
//! **Must not know about**: signature crypto (it receives records whose
//! RRSIGs were already checked) and hashing (through an `Nsec3Hasher`
//! trait the validator implements). It knows `candor-wire` only.
//!
//! **Status**: not built yet (issue 4).
