//! What a proof establishes, and the limits proofs run under.

use candor_wire::Name;

/// A denial that holds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Proof {
    /// The name does not exist, nor does a wildcard that could match it.
    NxDomain {
        /// The deepest existing ancestor of the name.
        closest_encloser: Name,
    },
    /// The name exists without the type (including the DS-at-delegation
    /// case, and, with NSEC3, empty non-terminals, which NSEC3 hashes).
    NoData,
    /// The name is an empty non-terminal (NSEC: the next name is below it).
    EmptyNonTerminal,
    /// A wildcard answer: no closer match exists.
    WildcardAnswer,
    /// The name does not exist and the wildcard that matches it lacks the type.
    WildcardNoData {
        /// The wildcard.
        wildcard: Name,
    },
    /// The delegation has no DS: the child zone is provably unsigned.
    NoDs,
    /// An NSEC3 opt-out span covers the name: an unsigned delegation may
    /// exist there. Insecure, not proven (RFC 5155 §9.2).
    OptOut,
    /// The denial uses parameters this validator will not evaluate: the
    /// answer is insecure.
    Insecure(Insecure),
}

impl Proof {
    /// True for the outcomes that make the answer insecure rather than secure.
    pub fn is_insecure(&self) -> bool {
        matches!(self, Proof::OptOut | Proof::Insecure(_))
    }
}

/// Why a denial is insecure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Insecure {
    /// NSEC3 iterations above the cap (RFC 9276 §3.2): EDE 27.
    IterationsAboveCap {
        /// Iterations in the records.
        iterations: u16,
        /// The cap.
        cap: u16,
    },
    /// Only NSEC3 hash algorithms this validator does not know.
    UnsupportedHashAlgorithm(u8),
}

impl Insecure {
    /// The informational EDE info-code for this case.
    pub fn ede_code(&self) -> u16 {
        match self {
            Insecure::IterationsAboveCap { .. } => 27,
            Insecure::UnsupportedHashAlgorithm(_) => 1,
        }
    }
}

/// Limits on NSEC3 work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Iterations above this make the answer insecure (EDE 27). Default 50,
    /// the value BIND 9.20, Knot Resolver and PowerDNS Recursor use.
    pub max_iterations: u16,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_iterations: 50 }
    }
}
