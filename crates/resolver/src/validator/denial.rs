//! Denial proofs over a response section: every RRset of the section
//! verified with the zone's keys, wildcard-expanded NSEC/NSEC3 left out,
//! then a `candor-denial` proof within the NSEC3 hash budget; its errors
//! become [`crate::Failure`]s.

use candor_denial::{BudgetHasher, DenialError, Limits, Proof};
use candor_wire::{Name, RType, Record};

use crate::clock::Clock;
use crate::failure::{BudgetKind, Failure, FailureKind};
use crate::records::rrset_keys;
use crate::resolver::Resolver;
use crate::transport::Transport;
use crate::validator::verify::{TrustedKeys, rrsigs_for};
use crate::work::Work;

pub(crate) fn insecure_failure(i: &candor_denial::Insecure, zone: &Name, now: u64) -> Failure {
    let kind = match i {
        candor_denial::Insecure::IterationsAboveCap { .. } => FailureKind::Nsec3IterationsAboveCap,
        _ => FailureKind::UnsupportedAlgorithm,
    };
    Failure::new(kind, zone.clone(), now)
}

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// Run a denial proof over the (verified) denial records of `section`.
    pub(crate) fn deny<F>(
        &self,
        keys: &TrustedKeys,
        section: &[Record],
        work: &mut Work,
        prove: F,
    ) -> Result<Proof, Failure>
    where
        F: FnOnce(&mut dyn candor_denial::Nsec3Hasher, &Limits, &[Record]) -> Result<Proof, DenialError>,
    {
        let now = self.clock.unix();
        // Every RRset of the section must verify under the zone's keys.
        for (owner, rtype) in rrset_keys(section) {
            if matches!(rtype, RType::NS | RType::DS) {
                continue;
            }
            let set: Vec<Record> = section.iter().filter(|r| r.owner == owner && r.rtype() == rtype).cloned().collect();
            let sigs = rrsigs_for(section, &owner, rtype);
            self.cfg.validator.verify_rrset(&set, &sigs, keys, now, &mut work.budget.spent)?;
        }
        // An NSEC or NSEC3 record expanded from a wildcard (its RRSIG has
        // fewer labels than its owner) proves nothing about its owner name:
        // it is left out of the proof.
        let synthesised = |r: &Record| {
            matches!(r.rtype(), RType::NSEC | RType::NSEC3)
                && rrsigs_for(section, &r.owner, r.rtype())
                    .iter()
                    .any(|s| usize::from(s.labels) < r.owner.rrsig_label_count())
        };
        let usable: Vec<Record>;
        let records = if section.iter().any(synthesised) {
            usable = section.iter().filter(|r| !synthesised(r)).cloned().collect();
            &usable[..]
        } else {
            section
        };
        let mut h = BudgetHasher::new(candor_crypto::nsec3_hash, self.cfg.hash_budget);
        prove(&mut h, &self.cfg.denial, records).map_err(|e| {
            let kind = match e {
                DenialError::HashBudget { limit } => {
                    return Failure::exhausted(BudgetKind::Nsec3Hashes, limit, keys.zone.clone(), now);
                }
                DenialError::NextCloserNotCovered { .. } | DenialError::NoClosestEncloser { .. } => {
                    FailureKind::Nsec3Gap
                }
                DenialError::ParameterMismatch => FailureKind::Nsec3ParameterMismatch,
                DenialError::BitmapHasType { .. } => FailureKind::NsecBitmapHasType,
                DenialError::NotADelegation { .. } => FailureKind::NotADelegation,
                _ => FailureKind::NsecMissing,
            };
            Failure::new(kind, keys.zone.clone(), now)
        })
    }
}
