//! The validator's steps, sans I/O: trust a zone's DNSKEY RRset from its
//! DS set (or anchor), then verify RRsets with those keys. Each step
//! returns a value: secure keys, an insecure verdict, or a [`Failure`].

use candor_crypto::{
    Backend, KeyError, PRODUCTION, Policy, PublicKey, RrsigError, algorithm_supported, check_rrsig, digest_supported,
    ds_matches, key_tag, signed_data,
};
use candor_wire::{Algorithm, Dnskey, Ds, Name, RData, RType, Record, Rrsig};

use std::sync::Arc;

use crate::evidence::{Evidence, KeyRef, SigRef, ds_mismatches};
use crate::failure::{BudgetKind, Failure, FailureKind};
use crate::security::Security;
use crate::validator::verdicts::Verdicts;

/// Limits on validation work for one client query (KeyTrap, CVE-2023-50387).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidationLimits {
    /// Signature verifications per query.
    pub verifications: u32,
    /// RRSIGs tried per RRset.
    pub sigs_per_rrset: usize,
    /// Keys with the same tag and algorithm tried per RRSIG.
    pub keys_per_tag: usize,
    /// DS records considered per zone.
    pub ds_per_zone: usize,
    /// Signatures over one RRset that may fail their cryptographic check
    /// before the RRset is given up as bogus (the rest are not tried).
    pub failures_per_rrset: u32,
}

impl Default for ValidationLimits {
    /// Where the field converged after KeyTrap: 8 RRSIGs per RRset, 2
    /// same-tag keys, 8 DS, 32 verifications per query; and 2 failed
    /// signatures per RRset (one broken signer of two still leaves the
    /// other's signature tried; BIND stops at the first).
    fn default() -> ValidationLimits {
        ValidationLimits {
            verifications: 32,
            sigs_per_rrset: 8,
            keys_per_tag: 2,
            ds_per_zone: 8,
            failures_per_rrset: 2,
        }
    }
}

/// Validation work done so far for one query.
#[derive(Debug, Default, Clone)]
pub struct Spent {
    /// Signature verifications performed.
    pub verifications: u32,
    /// Verdicts remembered across queries: a signature over the same data
    /// with the same key is verified once (none: every one is verified).
    pub memo: Option<Arc<Verdicts>>,
}

/// The validator's configuration.
#[derive(Debug, Clone, Copy)]
pub struct Validator {
    /// Which algorithms count as supported.
    pub policy: Policy,
    /// The crypto backend.
    pub backend: &'static Backend,
    /// Work limits.
    pub budget: ValidationLimits,
    /// Harden against algorithm downgrade: every supported algorithm the
    /// DS set (or anchor) lists must sign the DNSKEY RRset and every RRset
    /// of the zone, so a stripped signature of the stronger algorithm is
    /// bogus. Off by default, as RFC 6840 §5.11 asks: one valid path
    /// suffices, which keeps algorithm rollovers working.
    pub all_algorithms: bool,
}

impl Default for Validator {
    fn default() -> Validator {
        Validator {
            policy: Policy::PRODUCTION,
            backend: &PRODUCTION,
            budget: ValidationLimits::default(),
            all_algorithms: false,
        }
    }
}

/// What trusting a zone's keys starts from.
#[derive(Debug, Clone, Copy)]
pub struct KeyInput<'a> {
    /// The zone.
    pub zone: &'a Name,
    /// The parent's DS set for it (already validated), or the anchor's DS.
    pub ds: &'a [Ds],
    /// Keys trusted directly (DNSKEY trust anchors).
    pub anchor_keys: &'a [Dnskey],
    /// The zone's DNSKEY RRset.
    pub dnskeys: &'a [Record],
    /// The RRSIGs over it.
    pub rrsigs: &'a [&'a Rrsig],
}

/// A zone's DNSKEY RRset, validated from its DS set or anchor.
#[derive(Debug, Clone)]
pub struct TrustedKeys {
    /// The zone.
    pub zone: Name,
    /// Every key of the validated RRset with its tag and parsed form.
    keys: Vec<(Dnskey, u16, Result<PublicKey, KeyError>)>,
    /// The algorithms every RRset must be signed with
    /// ([`Validator::all_algorithms`]; empty when off).
    /// With the key tag of a DS (or anchor) that named each.
    required: Vec<(Algorithm, u16)>,
    /// The RRSIGs over the DNSKEY RRset as it was validated (shared: a
    /// cut's trust is cloned per resolution), so the proof can be
    /// checked again later (a saved cache, at load).
    signatures: Arc<[Rrsig]>,
}

impl TrustedKeys {
    /// The keys of the RRset.
    pub fn dnskeys(&self) -> impl Iterator<Item = &Dnskey> {
        self.keys.iter().map(|(k, _, _)| k)
    }

    /// The RRSIGs over the DNSKEY RRset that was validated.
    pub fn signatures(&self) -> &[Rrsig] {
        &self.signatures
    }

    /// The DNSKEY RRset with its RRSIGs, as validated, every record with
    /// TTL `ttl` (the signatures carry the original TTL).
    pub fn dnskey_rrset(&self, ttl: u32) -> Vec<Record> {
        let keys = self.dnskeys().map(|k| Record::new(self.zone.clone(), ttl, RData::Dnskey(k.clone())));
        let sigs = self.signatures.iter().map(|s| Record::new(self.zone.clone(), ttl, RData::Rrsig(s.clone())));
        keys.chain(sigs).collect()
    }
}

/// The trust of a zone: its verdict, and with a secure one the validated
/// keys that later RRsets of the zone are checked with. What establishing
/// a zone's keys gives, and what each zone cut being walked carries.
#[derive(Debug, Clone)]
pub enum Trust {
    /// The DNSKEY RRset is proven.
    Secure(TrustedKeys),
    /// Provably unsigned (no DS), or only unsupported algorithms, digest
    /// types or NSEC3 parameters (the failure says which).
    Insecure(Option<Failure>),
    /// The chain is broken here.
    Bogus(Failure),
}

impl Trust {
    /// The verdict alone.
    pub fn security(&self) -> Security {
        match self {
            Trust::Secure(_) => Security::Secure,
            Trust::Insecure(f) => Security::Insecure(f.clone().map(Box::new)),
            Trust::Bogus(f) => Security::bogus(f.clone()),
        }
    }
}

/// The RRSIGs among `records` that cover `rtype` at `owner`.
pub fn rrsigs_for<'a>(records: &'a [Record], owner: &Name, rtype: RType) -> Vec<&'a Rrsig> {
    records
        .iter()
        .filter_map(|r| match &r.data {
            RData::Rrsig(s) if r.owner == *owner && s.type_covered == rtype => Some(s),
            _ => None,
        })
        .collect()
}

impl Validator {
    fn verify_one(
        &self,
        rrset: &[Record],
        sig: &Rrsig,
        zone: &Name,
        (key, public): (&Dnskey, &Result<PublicKey, KeyError>),
        now: u64,
        spent: &mut Spent,
    ) -> Result<(), RrsigError> {
        check_rrsig(rrset, sig, zone, key, now)?;
        let public = public.as_ref().map_err(|e| RrsigError::Key { key_tag: sig.key_tag, error: e.clone() })?;
        let data = signed_data(sig, rrset)?;
        let memo =
            spent.memo.as_ref().map(|m| (m, Verdicts::key(key.algorithm.0, &key.public_key, &sig.signature, &data)));
        let kept = memo.as_ref().and_then(|(m, k)| m.get(k));
        let verified = match kept {
            Some(v) => v,
            None => {
                spent.verifications += 1;
                let v = public.verify(self.backend, &data, &sig.signature);
                if let Some((m, k)) = memo {
                    m.put(k, v);
                }
                v
            }
        };
        if verified { Ok(()) } else { Err(RrsigError::BadSignature { key_tag: sig.key_tag, algorithm: sig.algorithm }) }
    }

    fn budget_failure(&self, zone: &Name, now: u64) -> Failure {
        Failure::exhausted(BudgetKind::Verifications, u64::from(self.budget.verifications), zone.clone(), now)
    }

    /// Trust a zone's DNSKEY RRset from the parent's validated DS set or
    /// from anchored keys.
    pub fn establish_keys(&self, input: &KeyInput<'_>, now: u64, spent: &mut Spent) -> Trust {
        let KeyInput { zone, ds, anchor_keys, dnskeys, rrsigs } = *input;
        let fail = |kind| Failure::new(kind, zone.clone(), now);
        let ds: Vec<&Ds> = ds.iter().take(self.budget.ds_per_zone).collect();
        let usable: Vec<&Ds> = ds
            .iter()
            .copied()
            .filter(|d| digest_supported(d.digest_type) && algorithm_supported(d.algorithm, self.policy))
            .collect();
        if !ds.is_empty() && usable.is_empty() && anchor_keys.is_empty() {
            let alg_unsupported = ds.iter().any(|d| !algorithm_supported(d.algorithm, self.policy));
            let first = ds.first().map(|d| (d.key_tag, d.algorithm));
            let mut f =
                fail(if alg_unsupported { FailureKind::UnsupportedAlgorithm } else { FailureKind::UnsupportedDigest });
            f.key = first;
            return Trust::Insecure(Some(f));
        }
        let keys: Vec<&Dnskey> = dnskeys
            .iter()
            .filter_map(|r| match &r.data {
                RData::Dnskey(k) if r.owner == *zone => Some(k),
                _ => None,
            })
            .collect();
        if keys.is_empty() {
            return Trust::Bogus(fail(FailureKind::DnskeyMissing).rrset(zone, RType::DNSKEY));
        }
        // The keys the parent (or the anchor) vouches for.
        let vouched: Vec<&Dnskey> = keys
            .iter()
            .copied()
            .filter(|k| !k.is_revoked())
            .filter(|k| anchor_keys.contains(k) || usable.iter().any(|d| ds_matches(d, zone, k) == Ok(true)))
            .collect();
        let Some(first_vouched) = vouched.first() else {
            let f = fail(FailureKind::DsNoMatchingKey).rrset(zone, RType::DNSKEY).with(ds_mismatches(&usable, &keys));
            return Trust::Bogus(f);
        };
        if vouched.iter().all(|k| !k.is_zone_key()) {
            let k = first_vouched;
            return Trust::Bogus(
                fail(FailureKind::NoZoneKeyBit)
                    .rrset(zone, RType::DNSKEY)
                    .key(key_tag(k), k.algorithm)
                    .with(key_refs(keys.iter().copied())),
            );
        }
        let mut first_error: Option<Failure> = None;
        let mut tried = 0;
        let mut failed = 0;
        for sig in rrsigs.iter().take(self.budget.sigs_per_rrset) {
            if failed >= self.budget.failures_per_rrset.max(1) {
                break;
            }
            for k in vouched.iter().filter(|k| key_tag(k) == sig.key_tag && k.algorithm == sig.algorithm) {
                if failed >= self.budget.failures_per_rrset.max(1) {
                    break;
                }
                tried += 1;
                if spent.verifications >= self.budget.verifications {
                    return Trust::Bogus(self.budget_failure(zone, now));
                }
                let public = PublicKey::from_dnskey(k, self.policy);
                match self.verify_one(dnskeys, sig, zone, (k, &public), now, spent) {
                    Ok(()) => {
                        let keys = keys
                            .iter()
                            .map(|k| ((*k).clone(), key_tag(k), PublicKey::from_dnskey(k, self.policy)))
                            .collect();
                        let signatures = rrsigs.iter().map(|s| (*s).clone()).collect();
                        let mut trusted = TrustedKeys { zone: zone.clone(), keys, required: Vec::new(), signatures };
                        if self.all_algorithms {
                            let mut required: Vec<(Algorithm, u16)> = usable
                                .iter()
                                .map(|d| (d.algorithm, d.key_tag))
                                .chain(anchor_keys.iter().map(|k| (k.algorithm, key_tag(k))))
                                .filter(|(a, _)| algorithm_supported(*a, self.policy))
                                .collect();
                            required.sort_unstable_by_key(|(a, _)| a.0);
                            required.dedup_by_key(|(a, _)| *a);
                            // The DNSKEY RRset must be signed by a vouched key of each.
                            let vouched_keys = TrustedKeys {
                                zone: zone.clone(),
                                keys: vouched
                                    .iter()
                                    .map(|k| ((*k).clone(), key_tag(k), PublicKey::from_dnskey(k, self.policy)))
                                    .collect(),
                                required: Vec::new(),
                                signatures: Arc::from([]),
                            };
                            if let Err(f) = self.every_algorithm(
                                dnskeys,
                                rrsigs,
                                &vouched_keys,
                                &required,
                                sig.algorithm,
                                now,
                                spent,
                            ) {
                                return Trust::Bogus(f);
                            }
                            trusted.required = required;
                        }
                        return Trust::Secure(trusted);
                    }
                    Err(e) => {
                        if matches!(e, RrsigError::BadSignature { .. }) {
                            failed += 1;
                        }
                        first_error.get_or_insert_with(|| failure_of(&e, zone, zone, RType::DNSKEY, sig, now));
                    }
                }
            }
        }
        if tried == 0 {
            return Trust::Bogus(
                fail(FailureKind::RrsigsMissing)
                    .rrset(zone, RType::DNSKEY)
                    .key(key_tag(first_vouched), first_vouched.algorithm)
                    .with(key_refs(keys.iter().copied())),
            );
        }
        let mut f = first_error.unwrap_or_else(|| fail(FailureKind::SignatureInvalid));
        if let Some(sig) = rrsigs.first() {
            let same_tag = vouched.iter().filter(|k| key_tag(k) == sig.key_tag && k.algorithm == sig.algorithm).count();
            if let Some(e) = self.effort(rrsigs.len(), same_tag, sig.key_tag, failed) {
                f.evidence.push(e);
            }
        }
        Trust::Bogus(f)
    }

    /// What was left untried of an RRset's signatures, as evidence: only
    /// when a limit cut the work short (more RRSIGs than are tried, more
    /// same-tag keys than are tried, or the failed ones reached their limit).
    fn effort(&self, sigs: usize, same_tag: usize, tag: u16, failed: u32) -> Option<Evidence> {
        let l = &self.budget;
        let stopped = failed >= l.failures_per_rrset.max(1) && sigs > 1;
        (stopped || sigs > l.sigs_per_rrset || same_tag > l.keys_per_tag).then(|| Evidence::Effort {
            sigs,
            per_rrset: l.sigs_per_rrset,
            same_tag: (same_tag > 1).then_some((tag, same_tag)),
            failed,
            limit: l.failures_per_rrset.max(1),
        })
    }

    /// Verify `rrset` with one of `rrsigs` made by `keys`.
    pub fn verify_rrset(
        &self,
        rrset: &[Record],
        rrsigs: &[&Rrsig],
        keys: &TrustedKeys,
        now: u64,
        spent: &mut Spent,
    ) -> Result<(), Failure> {
        let zone = &keys.zone;
        let Some(first) = rrset.first() else { return Ok(()) };
        let (owner, rtype) = (&first.owner, first.rtype());
        let ours: Vec<&&Rrsig> = rrsigs.iter().filter(|s| s.signer == *zone).collect();
        if ours.is_empty() {
            return Err(Failure::new(FailureKind::RrsigsMissing, zone.clone(), now).rrset(owner, rtype));
        }
        let mut first_error: Option<Failure> = None;
        let mut failed = 0;
        for sig in ours.iter().take(self.budget.sigs_per_rrset) {
            if failed >= self.budget.failures_per_rrset.max(1) {
                break;
            }
            match self.try_sig(rrset, sig, keys, now, spent, &mut failed)? {
                SigOutcome::Verified if keys.required.is_empty() => return Ok(()),
                SigOutcome::Verified => {
                    return self.every_algorithm(rrset, rrsigs, keys, &keys.required, sig.algorithm, now, spent);
                }
                SigOutcome::Failed(Some(e)) => {
                    first_error.get_or_insert_with(|| failure_of(&e, zone, owner, rtype, sig, now));
                }
                SigOutcome::Failed(None) => {}
            }
        }
        if let Some(f) = first_error.as_mut().filter(|f| f.kind == FailureKind::NoZoneKeyBit) {
            f.evidence.push(key_refs(keys.dnskeys()));
        }
        if let (Some(f), Some(sig)) = (first_error.as_mut(), ours.first()) {
            let same_tag =
                keys.keys.iter().filter(|(k, t, _)| *t == sig.key_tag && k.algorithm == sig.algorithm).count();
            if let Some(e) = self.effort(ours.len(), same_tag, sig.key_tag, failed) {
                f.evidence.push(e);
            }
        }
        Err(first_error.unwrap_or_else(|| {
            let sig = ours.first();
            let mut f = Failure::new(FailureKind::DnskeyMissing, zone.clone(), now)
                .rrset(owner, rtype)
                .with(key_refs(keys.dnskeys()));
            f.key = sig.map(|s| (s.key_tag, s.algorithm));
            f
        }))
    }
}

/// What trying one RRSIG gave.
enum SigOutcome {
    /// A key it names verifies it.
    Verified,
    /// None does: the first key's error, if a key with its tag and
    /// algorithm was there at all.
    Failed(Option<RrsigError>),
}

impl Validator {
    /// Try `sig` over `rrset` with the keys of `keys` it names (at most
    /// `keys_per_tag` of them); `Err` when the verification budget ran out.
    fn try_sig(
        &self,
        rrset: &[Record],
        sig: &Rrsig,
        keys: &TrustedKeys,
        now: u64,
        spent: &mut Spent,
        failed: &mut u32,
    ) -> Result<SigOutcome, Failure> {
        let zone = &keys.zone;
        let mut first = None;
        let candidates = keys
            .keys
            .iter()
            .filter(|(k, tag, _)| *tag == sig.key_tag && k.algorithm == sig.algorithm)
            .take(self.budget.keys_per_tag);
        for (k, _, public) in candidates {
            if spent.verifications >= self.budget.verifications {
                return Err(self.budget_failure(zone, now));
            }
            match self.verify_one(rrset, sig, zone, (k, public), now, spent) {
                Ok(()) => return Ok(SigOutcome::Verified),
                Err(e) => {
                    let crypto = matches!(e, RrsigError::BadSignature { .. });
                    first.get_or_insert(e);
                    if crypto {
                        *failed += 1;
                        if *failed >= self.budget.failures_per_rrset.max(1) {
                            break;
                        }
                    }
                }
            }
        }
        Ok(SigOutcome::Failed(first))
    }

    /// With [`Validator::all_algorithms`]: `rrset`, already verified with
    /// an RRSIG of algorithm `done`, must also verify with one of each
    /// other algorithm in `required`, made by one of `keys`.
    #[allow(clippy::too_many_arguments)]
    fn every_algorithm(
        &self,
        rrset: &[Record],
        rrsigs: &[&Rrsig],
        keys: &TrustedKeys,
        required: &[(Algorithm, u16)],
        done: Algorithm,
        now: u64,
        spent: &mut Spent,
    ) -> Result<(), Failure> {
        let zone = &keys.zone;
        let Some(first) = rrset.first() else { return Ok(()) };
        let (owner, rtype) = (&first.owner, first.rtype());
        for (alg, tag) in required.iter().copied().filter(|(a, _)| *a != done) {
            let mut verified = false;
            let mut failed = 0;
            for sig in
                rrsigs.iter().filter(|s| s.algorithm == alg && s.signer == *zone).take(self.budget.sigs_per_rrset)
            {
                if matches!(self.try_sig(rrset, sig, keys, now, spent, &mut failed)?, SigOutcome::Verified) {
                    verified = true;
                    break;
                }
                if failed >= self.budget.failures_per_rrset.max(1) {
                    break;
                }
            }
            if !verified {
                let mut f = Failure::new(FailureKind::AlgorithmMissing, zone.clone(), now).rrset(owner, rtype);
                f.key = Some((tag, alg));
                return Err(f);
            }
        }
        Ok(())
    }
}

/// The failure an RRSIG error amounts to.
fn failure_of(e: &RrsigError, zone: &Name, owner: &Name, rtype: RType, sig: &Rrsig, now: u64) -> Failure {
    let kind = match e {
        RrsigError::Expired { .. } => FailureKind::SignatureExpired,
        RrsigError::NotYetValid { .. } => FailureKind::SignatureNotYetValid,
        RrsigError::ExpirationBeforeInception { .. } => FailureKind::ExpirationBeforeInception,
        RrsigError::NotZoneKey { .. } => FailureKind::NoZoneKeyBit,
        RrsigError::Revoked { .. } => FailureKind::DnskeyMissing,
        RrsigError::Key { error: KeyError::Unsupported(_), .. } => FailureKind::UnsupportedAlgorithm,
        _ => FailureKind::SignatureInvalid,
    };
    Failure::new(kind, zone.clone(), now)
        .rrset(owner, rtype)
        .key(sig.key_tag, sig.algorithm)
        .window(sig.inception, sig.expiration)
        .with(Evidence::Rrsig(SigRef::from(sig)))
}

/// The keys of a DNSKEY RRset as evidence.
fn key_refs<'a>(keys: impl Iterator<Item = &'a Dnskey>) -> Evidence {
    Evidence::Keys(crate::evidence::Listed::of(keys.map(KeyRef::from), crate::evidence::KEYS_KEPT))
}
