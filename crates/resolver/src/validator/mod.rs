//! Validation: the chain of trust one zone cut at a time (`chain`), denial
//! proofs (`denial`), answers (`answer`), RFC 5011 for the root
//! (`rfc5011`), and the sans-I/O verification steps they all use
//! (`verify`).

pub(crate) mod answer;
pub(crate) mod chain;
pub(crate) mod denial;
pub(crate) mod rfc5011;
pub(crate) mod verdicts;
pub(crate) mod verify;
