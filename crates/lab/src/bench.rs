//! The benchmark zones: large signed zones whose names each cost a
//! validating resolver one upstream query and one signature check, for
//! `candor bench` and `benches/dnsperf.sh`. Every zone holds the names
//! `n000000` .. `nNNNNNN` (one A record each); a name with an `x`
//! appended (`n000042x`) does not exist and falls in its own gap of the
//! denial chain, so distinct such names need distinct denial proofs.

use candor_wire::Algorithm;

/// One benchmark zone under `test.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchZone {
    /// The label under `test.` (`bench` is `bench.test.`).
    pub label: &'static str,
    /// The zone's algorithm.
    pub algorithm: Algorithm,
    /// NSEC3 (no extra iterations, no salt) instead of NSEC.
    pub nsec3: bool,
    /// Every A record's RRSIG is corrupted: each answer is bogus.
    pub bogus: bool,
}

/// `bench.test.`: ECDSA P-256, NSEC; built whenever there are bench names.
pub const BENCH13: BenchZone =
    BenchZone { label: "bench", algorithm: Algorithm::ECDSAP256SHA256, nsec3: false, bogus: false };
/// `bench8.test.`: RSA/SHA-256 with 2,048-bit keys, NSEC.
pub const BENCH8: BenchZone =
    BenchZone { label: "bench8", algorithm: Algorithm::RSASHA256, nsec3: false, bogus: false };
/// `bench15.test.`: Ed25519, NSEC.
pub const BENCH15: BenchZone =
    BenchZone { label: "bench15", algorithm: Algorithm::ED25519, nsec3: false, bogus: false };
/// `bench-nsec3.test.`: Ed25519, NSEC3.
pub const BENCH_NSEC3: BenchZone =
    BenchZone { label: "bench-nsec3", algorithm: Algorithm::ED25519, nsec3: true, bogus: false };
/// `bench-bogus.test.`: Ed25519, NSEC, every answer's signature broken.
pub const BENCH_BOGUS: BenchZone =
    BenchZone { label: "bench-bogus", algorithm: Algorithm::ED25519, nsec3: false, bogus: true };

/// Every benchmark zone (`candor lab --bench-all`); [`crate::LabConfig`]
/// builds `bench.test.` alone unless told otherwise.
pub const BENCH_ZONES: [BenchZone; 5] = [BENCH13, BENCH8, BENCH15, BENCH_NSEC3, BENCH_BOGUS];

impl BenchZone {
    /// The zone whose label is `label` (`bench15`), if there is one.
    pub fn by_label(label: &str) -> Option<BenchZone> {
        BENCH_ZONES.iter().copied().find(|z| z.label.eq_ignore_ascii_case(label.trim_end_matches(".test.")))
    }

    /// The zone's apex, as text (`bench8.test.`).
    pub fn origin(&self) -> String {
        format!("{}.test.", self.label)
    }

    /// The `i`th name of the zone (it exists).
    pub fn name(&self, i: usize) -> String {
        format!("n{i:06}.{}.test.", self.label)
    }

    /// A name just after the `i`th, which does not exist.
    pub fn missing(&self, i: usize) -> String {
        format!("n{i:06}x.{}.test.", self.label)
    }

    /// The zone's body (names relative to the apex).
    pub(crate) fn body(&self, names: usize) -> String {
        (0..names).map(|i| format!("n{i:06} A 192.0.2.{}\n", i % 250 + 1)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Lab, LabConfig};
    use candor_crypto::{PRODUCTION, Policy, PublicKey, verify_rrsig};
    use candor_wire::{Name, RData, RType, Record};

    /// Each A RRset of `zone` by owner, and whether its RRSIG verifies
    /// with the zone's own keys at `now`.
    fn a_verdicts(lab: &Lab, origin: &str, now: u64) -> Vec<(String, bool)> {
        let origin: Name = origin.parse().unwrap();
        let zone = lab.zones.iter().find(|z| z.origin == origin).expect("the zone is built");
        let keys = zone.dnskeys();
        let mut out = Vec::new();
        for sig in &zone.records {
            let RData::Rrsig(s) = &sig.data else { continue };
            if s.type_covered != RType::A {
                continue;
            }
            let rrset: Vec<Record> =
                zone.records.iter().filter(|r| r.owner == sig.owner && r.rtype() == RType::A).cloned().collect();
            let ok = keys.iter().any(|k| {
                let public = PublicKey::from_dnskey(k, Policy::PRODUCTION).unwrap();
                verify_rrsig(&rrset, s, &origin, k, &public, now, &PRODUCTION).is_ok()
            });
            out.push((sig.owner.to_string(), ok));
        }
        out.sort();
        out
    }

    #[test]
    fn the_bogus_zone_breaks_its_names_signatures_and_no_other() {
        let now = 1_790_000_000;
        let mut cfg = LabConfig::new(now);
        cfg.bench_names = 3;
        cfg.bench_zones = vec![BENCH15, BENCH_BOGUS];
        let lab = Lab::build(cfg).unwrap();
        assert!(lab.zones.iter().all(|z| z.origin.to_string() != BENCH13.origin()), "only the zones asked for");
        let good = a_verdicts(&lab, &BENCH15.origin(), now);
        assert_eq!(good.len(), 4, "three names and the name server: {good:?}");
        assert!(good.iter().all(|(_, ok)| *ok), "{good:?}");
        let bogus = a_verdicts(&lab, &BENCH_BOGUS.origin(), now);
        let expected: Vec<(String, bool)> = vec![
            (BENCH_BOGUS.name(0), false),
            (BENCH_BOGUS.name(1), false),
            (BENCH_BOGUS.name(2), false),
            (format!("ns.{}", BENCH_BOGUS.origin()), true),
        ];
        assert_eq!(bogus, expected);
    }

    #[test]
    fn zones_are_found_by_label() {
        assert_eq!(BenchZone::by_label("bench15"), Some(BENCH15));
        assert_eq!(BenchZone::by_label("bench-nsec3.test."), Some(BENCH_NSEC3));
        assert_eq!(BenchZone::by_label("BENCH8"), Some(BENCH8));
        assert_eq!(BenchZone::by_label("bench16"), None);
    }
}
