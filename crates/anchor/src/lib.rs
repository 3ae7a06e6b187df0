//! # candor-anchor
//!
//! Trust anchors: the built-in IANA root anchor, anchor files, RFC 5011
//! rollover state and negative trust anchors.
//!
//! **Must not know about**: the network, the cache or how chains are walked.
//!
//! **Status**: not built yet (issue 6).
