//! `harden-algo-downgrade` ([`Validator::all_algorithms`]): a zone whose DS
//! set lists two algorithms, with the signatures of one stripped, is
//! secure by default (RFC 6840 §5.11: one valid path suffices) and bogus
//! with the hardening on, naming the missing algorithm.

use candor_crypto::{SigningKey, key_tag, make_ds_rdata};
use candor_resolver::{FailureKind, KeyInput, Spent, Trust, TrustedKeys, Validator, rrsigs_for};
use candor_wire::{Algorithm, Ds, Name, RData, RType, Record};

const NOW: u64 = 1_800_000_000;
const INCEPTION: u32 = 1_799_000_000;
const EXPIRATION: u32 = 1_801_000_000;

struct Zone {
    name: Name,
    keys: Vec<SigningKey>,
    ds: Vec<Ds>,
    dnskeys: Vec<Record>,
}

fn zone() -> Zone {
    let name: Name = "example.".parse().unwrap();
    let keys = vec![
        SigningKey::from_seed(Algorithm::ECDSAP256SHA256, b"downgrade-13").unwrap(),
        SigningKey::from_seed(Algorithm::ED25519, b"downgrade-15").unwrap(),
    ];
    let dnskeys: Vec<Record> =
        keys.iter().map(|k| Record::new(name.clone(), 3600, RData::Dnskey(k.dnskey(257)))).collect();
    let ds = keys
        .iter()
        .map(|k| match make_ds_rdata(&name, &k.dnskey(257), 2).unwrap() {
            RData::Ds(d) => d,
            other => panic!("not a DS: {other:?}"),
        })
        .collect();
    Zone { name, keys, ds, dnskeys }
}

/// `rrset` plus RRSIGs over it by the zone's keys at `signers`.
fn signed(z: &Zone, rrset: &[Record], signers: &[usize]) -> Vec<Record> {
    let mut out = rrset.to_vec();
    for &i in signers {
        let sig = z.keys[i].sign_rrset(rrset, &z.name, 257, INCEPTION, EXPIRATION).unwrap();
        out.push(Record::new(rrset[0].owner.clone(), rrset[0].ttl, RData::Rrsig(sig)));
    }
    out
}

fn keys(v: &Validator, z: &Zone, signers: &[usize]) -> Trust {
    let section = signed(z, &z.dnskeys, signers);
    let sigs = rrsigs_for(&section, &z.name, RType::DNSKEY);
    let input = KeyInput { zone: &z.name, ds: &z.ds, anchor_keys: &[], dnskeys: &z.dnskeys, rrsigs: &sigs };
    v.establish_keys(&input, NOW, &mut Spent::default())
}

fn secure(outcome: Trust) -> TrustedKeys {
    match outcome {
        Trust::Secure(k) => k,
        other => panic!("not secure: {other:?}"),
    }
}

fn a_rrset(z: &Zone) -> Vec<Record> {
    vec![Record::new(z.name.prepend(b"www").unwrap(), 300, RData::A([192, 0, 2, 1].into()))]
}

#[test]
fn one_algorithm_suffices_by_default() {
    let v = Validator::default();
    let z = zone();
    let trusted = secure(keys(&v, &z, &[0]));
    let rrset = a_rrset(&z);
    let section = signed(&z, &rrset, &[0]);
    let sigs = rrsigs_for(&section, &rrset[0].owner, RType::A);
    assert_eq!(v.verify_rrset(&rrset, &sigs, &trusted, NOW, &mut Spent::default()), Ok(()));
}

#[test]
fn hardened_a_dnskey_rrset_missing_an_algorithm_is_bogus() {
    let v = Validator { all_algorithms: true, ..Validator::default() };
    let z = zone();
    match keys(&v, &z, &[0]) {
        Trust::Bogus(f) => {
            assert_eq!(f.kind, FailureKind::AlgorithmMissing);
            assert_eq!(f.kind.ede_code(), 6);
            let tag15 = key_tag(&z.keys[1].dnskey(257));
            assert_eq!(f.key, Some((tag15, Algorithm::ED25519)));
            let (_, text) = f.ede();
            assert!(text.contains(&format!("algorithm 15 (named by DS or anchor key {tag15})")), "{text}");
        }
        other => panic!("not bogus: {other:?}"),
    }
    // Signed with both, it is secure.
    secure(keys(&v, &z, &[0, 1]));
}

#[test]
fn hardened_an_rrset_missing_an_algorithm_is_bogus() {
    let v = Validator { all_algorithms: true, ..Validator::default() };
    let z = zone();
    let trusted = secure(keys(&v, &z, &[0, 1]));
    let rrset = a_rrset(&z);
    for (signers, ok) in [(&[0usize][..], false), (&[1][..], false), (&[0, 1][..], true)] {
        let section = signed(&z, &rrset, signers);
        let sigs = rrsigs_for(&section, &rrset[0].owner, RType::A);
        let got = v.verify_rrset(&rrset, &sigs, &trusted, NOW, &mut Spent::default());
        match got {
            Ok(()) => assert!(ok, "signed by {signers:?}: secure"),
            Err(f) => {
                assert!(!ok, "signed by {signers:?}: {f:?}");
                assert_eq!(f.kind, FailureKind::AlgorithmMissing);
            }
        }
    }
}
