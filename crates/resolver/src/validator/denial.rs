//! Denial proofs over a response section: every RRset of the section
//! verified with the zone's keys, wildcard-expanded NSEC/NSEC3 left out,
//! then a `candor-denial` proof within the NSEC3 hash budget; its errors
//! become [`crate::Failure`]s.

use candor_denial::{BudgetHasher, DenialError, Limits, Proof};
use candor_wire::text::base32hex_encode;
use candor_wire::{Name, RData, RType, Record};

use crate::evidence::{Evidence, nsec_evidence, nsec3_evidence};

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
    let why = match i {
        candor_denial::Insecure::IterationsAboveCap { iterations, cap } => {
            format!("NSEC3 with {iterations} iterations, above this resolver's cap of {cap}")
        }
        candor_denial::Insecure::UnsupportedHashAlgorithm(a) => format!("NSEC3 with hash algorithm {a}"),
        _ => "its NSEC3 records cannot be used".to_owned(),
    };
    Failure::new(kind, zone.clone(), now).with(Evidence::Denial(why))
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
            let mut f = Failure::new(kind, keys.zone.clone(), now);
            let records = denial_evidence(&e, records, self.cfg.denial.max_iterations);
            // The proof's own words, unless the hash and ranges say it.
            let said = matches!(records, Some(Evidence::Nsec3 { hashed: Some(_), .. }))
                || matches!(e, DenialError::ParameterMismatch);
            if !said {
                f.evidence.push(Evidence::Denial(e.to_string()));
            }
            f.evidence.extend(records);
            f
        })
    }
}

/// The records a failed proof had to work with: the NSEC3 ranges and
/// parameters (with the hash of the name the proof needed, where the
/// error names one), or the NSEC ranges.
fn denial_evidence(e: &DenialError, records: &[Record], max_iterations: u16) -> Option<Evidence> {
    let hashed = match e {
        DenialError::NextCloserNotCovered { next_closer, hash } => {
            Some((next_closer.clone(), hash.to_ascii_uppercase()))
        }
        // The hash of the name under the first record's parameters (one
        // hash, within the iteration cap).
        DenialError::NoClosestEncloser { name } => records.iter().find_map(|r| match &r.data {
            RData::Nsec3(n) if n.iterations <= max_iterations => Some((
                name.clone(),
                base32hex_encode(&candor_crypto::nsec3_hash(name, &n.salt, n.iterations)).to_ascii_uppercase(),
            )),
            _ => None,
        }),
        _ => None,
    };
    nsec3_evidence(records, hashed).or_else(|| nsec_evidence(records))
}
