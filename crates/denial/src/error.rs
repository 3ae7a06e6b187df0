//! What a failed proof lacks, in words an operator can act on.

use candor_wire::{Name, RType};

/// Why a denial of existence is not proven. Each maps to EDE 12 (NSEC
/// Missing) except the hash budget, which is EDE 6 with the budget named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DenialError {
    /// The response holds no usable NSEC or NSEC3 record.
    #[error("no NSEC or NSEC3 records in {zone} to prove {name} {what}")]
    NoRecords {
        /// The zone the proof should come from.
        zone: Name,
        /// The name.
        name: Name,
        /// "does not exist", "has no TYPE", ...
        what: &'static str,
    },
    /// No NSEC covers the name (or the wildcard is not denied).
    #[error("no NSEC covers {name}")]
    NotCovered {
        /// The name left undenied.
        name: Name,
    },
    /// An NSEC or NSEC3 record matches a name said not to exist.
    #[error("{name} exists (an NSEC/NSEC3 record matches it)")]
    NameExists {
        /// The name.
        name: Name,
    },
    /// No NSEC or NSEC3 record matches the name whose types are denied.
    #[error("no NSEC/NSEC3 record matches {name}, so its types are not denied")]
    NoMatch {
        /// The name.
        name: Name,
    },
    /// The type bitmap lists the type said to be absent (or a CNAME).
    #[error("type bitmap at {owner} contains {rtype}")]
    BitmapHasType {
        /// Owner of the NSEC (or the NSEC3's original name).
        owner: Name,
        /// The type found.
        rtype: RType,
    },
    /// An NSEC/NSEC3 at a delegation (NS without SOA) or a DNAME used to deny names below it.
    #[error("NSEC from the parent side of a delegation at {owner} cannot deny names below it")]
    ParentSide {
        /// The delegation point.
        owner: Name,
    },
    /// An NSEC whose next name lies outside its zone (only the last NSEC
    /// wraps, to the apex): it would deny names of other zones.
    #[error("NSEC at {owner} points outside its zone (next {next})")]
    NextOutsideZone {
        /// The NSEC's owner.
        owner: Name,
        /// Its next name.
        next: Name,
    },
    /// A DNAME owner cannot deny names below it.
    #[error("NSEC/NSEC3 at DNAME owner {owner} cannot deny names below it")]
    BelowDname {
        /// The DNAME owner.
        owner: Name,
    },
    /// The name is not a delegation point, so "no DS" means nothing.
    #[error("{name} is not a delegation (no NS in its type bitmap)")]
    NotADelegation {
        /// The name.
        name: Name,
    },
    /// The wildcard at the closest encloser is neither denied nor matched.
    #[error("wildcard {wildcard} not denied")]
    WildcardNotDenied {
        /// The wildcard name.
        wildcard: Name,
    },
    /// The wildcard exists, so the name should have been synthesised.
    #[error("wildcard {wildcard} exists, so {name} cannot be NXDOMAIN")]
    WildcardExists {
        /// The wildcard name.
        wildcard: Name,
        /// The name asked.
        name: Name,
    },
    /// A wildcard answer whose NSEC shows a closer match exists.
    #[error("a name closer than the wildcard exists for {name} (closest encloser {closest_encloser})")]
    CloserMatch {
        /// The name asked.
        name: Name,
        /// The closest encloser the denial shows.
        closest_encloser: Name,
    },
    /// No NSEC3 matches any ancestor of the name.
    #[error("no NSEC3 matches the closest encloser of {name}")]
    NoClosestEncloser {
        /// The name.
        name: Name,
    },
    /// The next closer name's hash is not covered by any NSEC3.
    #[error("next closer name {next_closer} (hash {hash}) not covered")]
    NextCloserNotCovered {
        /// The next closer name.
        next_closer: Name,
        /// Its hash, base32hex.
        hash: String,
    },
    /// NSEC3 records of one proof with different parameters.
    #[error("NSEC3 records in this response disagree on salt/iterations")]
    ParameterMismatch,
    /// The NSEC3 hash budget for this response ran out.
    #[error("NSEC3 hash budget of {limit} SHA-1 blocks exhausted")]
    HashBudget {
        /// The limit, in SHA-1 blocks.
        limit: u64,
    },
}

impl DenialError {
    /// The RFC 8914 info-code of this failure class: 12 (NSEC Missing), or
    /// 6 (DNSSEC Bogus) when the hash budget ran out.
    pub fn ede_code(&self) -> u16 {
        match self {
            DenialError::HashBudget { .. } => 6,
            _ => 12,
        }
    }
}
