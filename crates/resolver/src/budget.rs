//! The budgets of one client query, checked in one place: the counters a
//! resolution spends (upstream queries, time, name-server lookup nesting,
//! signature verifications) and the limits the configuration sets, each
//! budget named by a [`BudgetKind`] whose `Display` is the text the EDE
//! gives. The referral and CNAME budgets are counted by the loops that
//! spend them (the iterator's and the chain's) and reported here.

use std::time::Duration;

use candor_wire::Name;

use crate::config::Config;
use crate::failure::{BudgetKind, Failure};
use crate::validator::verify::Spent;

/// What one resolution has spent so far.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    /// When the resolution started (monotonic).
    pub(crate) started: Duration,
    /// Queries sent to authorities or upstreams.
    pub(crate) queries: u32,
    /// Validation work (signature verifications).
    pub(crate) spent: Spent,
    /// Nesting of name-server address lookups.
    pub(crate) depth: u8,
}

impl Budget {
    /// A budget starting at `started` (monotonic).
    pub(crate) fn starting(started: Duration) -> Budget {
        Budget { started, ..Budget::default() }
    }

    /// The limit `cfg` sets on `kind`, in the unit the EDE names.
    pub(crate) fn limit(kind: BudgetKind, cfg: &Config) -> u64 {
        match kind {
            BudgetKind::UpstreamQueries => u64::from(cfg.max_queries),
            BudgetKind::ReferralDepth => u64::from(cfg.max_referrals),
            BudgetKind::ResolutionTime => cfg.max_time.as_secs(),
            BudgetKind::CnameChain => u64::from(cfg.max_cnames),
            BudgetKind::Verifications => u64::from(cfg.validator.budget.verifications),
            BudgetKind::Nsec3Hashes => cfg.hash_budget,
            BudgetKind::RrsetRecords => u64::from(cfg.max_rrset_records),
            BudgetKind::ResponseRecords => u64::from(cfg.max_response_records),
            BudgetKind::InFlight => u64::from(cfg.max_in_flight),
            BudgetKind::InFlightPerClient => u64::from(cfg.max_in_flight_per_client),
        }
    }

    /// Whether `kind` is used up at `now` (monotonic). The budgets counted
    /// by the loops that spend them (referrals, CNAME links) never are here.
    pub(crate) fn exhausted(&self, kind: BudgetKind, cfg: &Config, now: Duration) -> bool {
        match kind {
            BudgetKind::UpstreamQueries => self.queries >= cfg.max_queries,
            BudgetKind::ResolutionTime => now.saturating_sub(self.started) >= cfg.max_time,
            BudgetKind::Verifications => self.spent.verifications >= cfg.validator.budget.verifications,
            _ => false,
        }
    }

    /// Spend one upstream query, unless the query or time budget is used
    /// up: then the failure naming it (`qname` the name being resolved).
    pub(crate) fn charge_query(&mut self, cfg: &Config, now: Duration, qname: &Name, unix: u64) -> Result<(), Failure> {
        for kind in [BudgetKind::UpstreamQueries, BudgetKind::ResolutionTime] {
            if self.exhausted(kind, cfg, now) {
                return Err(exhausted(kind, cfg, qname, unix));
            }
        }
        self.queries += 1;
        Ok(())
    }
}

/// The failure for `kind` having run out while resolving `name`.
pub(crate) fn exhausted(kind: BudgetKind, cfg: &Config, name: &Name, unix: u64) -> Failure {
    Failure::exhausted(kind, Budget::limit(kind, cfg), name.clone(), unix)
}
