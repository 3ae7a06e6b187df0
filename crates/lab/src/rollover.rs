//! Key-rollover states (RFC 6781 §4.1, RFC 7583) as catalogue cases: a
//! zone caught in the middle of a ZSK, KSK or algorithm rollover, done
//! right (secure) or with a step taken too early; with them, the zone
//! whose signatures are about to run out (the other thing an operator's
//! prevention checklist watches).
//!
//! Each state is applied to a zone signed the usual way (KSK + ZSK of
//! algorithm 13): the keys of the rollover are drawn from the lab's seed
//! like the others, the DNSKEY RRset is replaced, every RRset signed again
//! by the keys the state says, and the parent's DS set chosen.

use candor_crypto::{SigningKey, make_ds};
use candor_wire::{Algorithm, Dnskey, Ds, Name, RData, RType, Record};

use crate::LabError;
use crate::catalog::{Breakage, Case, Rollover, Verdict, case};
use crate::resign::{covered, resign};
use crate::signer::SignedZone;

/// The rollover cases of the catalogue.
pub(crate) fn rollover_cases() -> Vec<Case> {
    use Verdict::*;
    let roll = |name: &str, state: Rollover, what: &str| {
        case(name, Secure, None, "valid", what).brk(Breakage::Rollover(state))
    };
    let mut too_early = roll(
        "roll-algo-too-early",
        Rollover::AlgorithmTooEarly,
        "algorithm rollover done too early: DS and keys of algorithms 13 and 15, data signed by 13 only \
         (secure per RFC 6840 §5.11; bogus with harden-algo-downgrade)",
    );
    too_early.hardened = Some((Bogus, Some(6)));
    vec![
        roll(
            "roll-zsk-prepublish",
            Rollover::ZskPrepublish,
            "ZSK rollover, pre-publication: the new ZSK is published but does not sign yet",
        ),
        roll(
            "roll-zsk-double-sig",
            Rollover::ZskDoubleSignature,
            "ZSK rollover, double signature: both ZSKs sign every RRset",
        ),
        roll(
            "roll-ksk-double-ds",
            Rollover::KskDoubleDs,
            "KSK rollover, double-DS: the parent lists both KSKs' DS, the new KSK alone signs the keys",
        ),
        roll(
            "roll-ksk-double-ksk",
            Rollover::KskDoubleKsk,
            "KSK rollover, double-KSK: both KSKs sign the keys, the parent lists the old one's DS",
        ),
        case(
            "roll-ksk-removed-early",
            Bogus,
            Some(9),
            "ds-no-matching-key",
            "KSK rollover broken: the old KSK was removed before the new one's DS reached the parent",
        )
        .brk(Breakage::Rollover(Rollover::KskRemovedEarly)),
        roll("roll-ksk-standby", Rollover::StandbyKsk, "a standby KSK with its DS at the parent, signing nothing"),
        roll(
            "roll-algo-in-progress",
            Rollover::AlgorithmInProgress,
            "algorithm rollover 13 to 15 in progress: keys and DS of both, every RRset signed by both",
        ),
        too_early,
        case(
            "rrsig-expiring-soon",
            Secure,
            None,
            "valid",
            "every signature expires 36 hours from now: still secure, but re-sign now (verify-zone warns)",
        )
        .brk(Breakage::Window { rtype: None, inception: -86_400, expiration: 36 * 3600 }),
    ]
}

/// A key of the rollover, drawn from the lab's seed like the zone's own.
fn key(zone: &SignedZone, algorithm: Algorithm, role: &str) -> Result<SigningKey, LabError> {
    let mut seed = zone.options.seed.clone();
    seed.extend_from_slice(zone.origin.to_lowercase().as_wire());
    seed.extend_from_slice(role.as_bytes());
    Ok(SigningKey::from_seed(algorithm, &seed)?)
}

fn ds(zone: &SignedZone, k: &SigningKey) -> Result<Ds, LabError> {
    make_ds(&zone.origin, &k.dnskey(257), 2).map_err(|_| LabError::Unsupported)
}

/// Put `state` into `zone`; returns the DS set the parent publishes when
/// it is not the zone's first KSK's.
pub(crate) fn apply(zone: &mut SignedZone, state: Rollover) -> Result<Option<Vec<Ds>>, LabError> {
    let old_alg = zone.options.algorithm;
    let ksk = zone.keys.ksk.clone();
    let zsk = zone.keys.zsk.clone().unwrap_or_else(|| ksk.clone());
    let new = |role: &str| key(zone, old_alg, role);
    let pair = |k: &SigningKey, f: u16| (k.clone(), f);
    // (published keys, DNSKEY signers, data signers, parent DS)
    let (published, key_signers, data_signers, parent): (Vec<_>, Vec<_>, Vec<_>, Option<Vec<Ds>>) = match state {
        Rollover::ZskPrepublish => {
            let zsk2 = new("zsk-next")?;
            (
                vec![pair(&ksk, 257), pair(&zsk, 256), pair(&zsk2, 256)],
                vec![pair(&ksk, 257)],
                vec![pair(&zsk, 256)],
                None,
            )
        }
        Rollover::ZskDoubleSignature => {
            let zsk2 = new("zsk-next")?;
            let keys = vec![pair(&ksk, 257), pair(&zsk, 256), pair(&zsk2, 256)];
            (keys, vec![pair(&ksk, 257)], vec![pair(&zsk, 256), pair(&zsk2, 256)], None)
        }
        Rollover::KskDoubleDs => {
            let ksk2 = new("ksk-next")?;
            let parent = vec![ds(zone, &ksk)?, ds(zone, &ksk2)?];
            (vec![pair(&ksk2, 257), pair(&zsk, 256)], vec![pair(&ksk2, 257)], vec![pair(&zsk, 256)], Some(parent))
        }
        Rollover::KskDoubleKsk => {
            let ksk2 = new("ksk-next")?;
            let keys = vec![pair(&ksk, 257), pair(&ksk2, 257), pair(&zsk, 256)];
            (keys, vec![pair(&ksk, 257), pair(&ksk2, 257)], vec![pair(&zsk, 256)], None)
        }
        Rollover::KskRemovedEarly => {
            let ksk2 = new("ksk-next")?;
            (vec![pair(&ksk2, 257), pair(&zsk, 256)], vec![pair(&ksk2, 257)], vec![pair(&zsk, 256)], None)
        }
        Rollover::StandbyKsk => {
            let standby = new("ksk-standby")?;
            let parent = vec![ds(zone, &ksk)?, ds(zone, &standby)?];
            let keys = vec![pair(&ksk, 257), pair(&standby, 257), pair(&zsk, 256)];
            (keys, vec![pair(&ksk, 257)], vec![pair(&zsk, 256)], Some(parent))
        }
        Rollover::AlgorithmInProgress | Rollover::AlgorithmTooEarly => {
            let ksk15 = key(zone, Algorithm::ED25519, "ksk-alg15")?;
            let zsk15 = key(zone, Algorithm::ED25519, "zsk-alg15")?;
            let keys = vec![pair(&ksk, 257), pair(&zsk, 256), pair(&ksk15, 257), pair(&zsk15, 256)];
            let parent = vec![ds(zone, &ksk)?, ds(zone, &ksk15)?];
            let data = if state == Rollover::AlgorithmInProgress {
                vec![pair(&zsk, 256), pair(&zsk15, 256)]
            } else {
                vec![pair(&zsk, 256)]
            };
            (keys, vec![pair(&ksk, 257), pair(&ksk15, 257)], data, Some(parent))
        }
    };
    let origin = zone.origin.clone();
    let ttl = zone.records.iter().find(|r| r.rtype() == RType::DNSKEY).map_or(3600, |r| r.ttl);
    zone.records.retain(|r| r.rtype() != RType::DNSKEY);
    let dnskeys: Vec<Dnskey> = published.iter().map(|(k, f)| k.dnskey(*f)).collect();
    zone.records.extend(dnskeys.into_iter().map(|k| Record::new(origin.clone(), ttl, RData::Dnskey(k))));
    let (inc, exp) = (zone.options.inception, zone.options.expiration);
    let mut sets: Vec<(Name, RType)> =
        zone.records.iter().filter_map(|r| covered(r).map(|t| (r.owner.clone(), t))).collect();
    sets.sort();
    sets.dedup();
    for (owner, t) in sets {
        let signers = if t == RType::DNSKEY { &key_signers } else { &data_signers };
        resign(zone, &owner, t, signers, inc, exp)?;
    }
    Ok(parent)
}
