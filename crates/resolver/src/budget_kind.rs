//! The names of the budgets ([`BudgetKind`]): a leaf, so the failure
//! that names a budget and the counters that count its trips both import it.

/// The budgets that bound the work of one client query (DESIGN.md
/// "Bounded work"); each names itself in the EDE extra-text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BudgetKind {
    /// Queries sent to authorities or upstreams (NXNS).
    UpstreamQueries,
    /// Referrals followed for one name.
    ReferralDepth,
    /// Wall time of one resolution (monotonic clock).
    ResolutionTime,
    /// CNAME/DNAME links followed.
    CnameChain,
    /// RRSIG verifications (KeyTrap, CVE-2023-50387).
    Verifications,
    /// NSEC3 hash work per response, in SHA-1 blocks (CVE-2023-50868).
    Nsec3Hashes,
    /// Records in one RRset of a response.
    RrsetRecords,
    /// Records in one response.
    ResponseRecords,
    /// Client questions being resolved at once.
    InFlight,
    /// Client questions being resolved at once for one client.
    InFlightPerClient,
}

impl BudgetKind {
    /// Every budget (the metrics count each one's trips).
    pub const ALL: [BudgetKind; 10] = [
        BudgetKind::UpstreamQueries,
        BudgetKind::ReferralDepth,
        BudgetKind::ResolutionTime,
        BudgetKind::CnameChain,
        BudgetKind::Verifications,
        BudgetKind::Nsec3Hashes,
        BudgetKind::RrsetRecords,
        BudgetKind::ResponseRecords,
        BudgetKind::InFlight,
        BudgetKind::InFlightPerClient,
    ];

    /// This budget's place in [`BudgetKind::ALL`].
    pub fn index(self) -> usize {
        use BudgetKind::*;
        match self {
            UpstreamQueries => 0,
            ReferralDepth => 1,
            ResolutionTime => 2,
            CnameChain => 3,
            Verifications => 4,
            Nsec3Hashes => 5,
            RrsetRecords => 6,
            ResponseRecords => 7,
            InFlight => 8,
            InFlightPerClient => 9,
        }
    }

    /// A stable identifier (the metrics' label).
    pub fn id(self) -> &'static str {
        use BudgetKind::*;
        match self {
            UpstreamQueries => "upstream-queries",
            ReferralDepth => "referral-depth",
            ResolutionTime => "resolution-time",
            CnameChain => "cname-chain",
            Verifications => "verifications",
            Nsec3Hashes => "nsec3-hashes",
            RrsetRecords => "rrset-records",
            ResponseRecords => "response-records",
            InFlight => "in-flight",
            InFlightPerClient => "in-flight-per-client",
        }
    }
}

impl std::fmt::Display for BudgetKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BudgetKind::UpstreamQueries => "upstream queries",
            BudgetKind::ReferralDepth => "referral depth",
            BudgetKind::ResolutionTime => "time per resolution (s)",
            BudgetKind::CnameChain => "CNAME chain length",
            BudgetKind::Verifications => "signature verifications per query",
            BudgetKind::Nsec3Hashes => "NSEC3 hash blocks per response",
            BudgetKind::RrsetRecords => "records per RRset",
            BudgetKind::ResponseRecords => "records per response",
            BudgetKind::InFlight => "questions in flight",
            BudgetKind::InFlightPerClient => "questions in flight per client",
        })
    }
}
