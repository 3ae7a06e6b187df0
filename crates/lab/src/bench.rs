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

/// The zones built with [`crate::LabConfig::bench_all`]; `bench.test.`
/// alone otherwise.
pub const BENCH_ZONES: [BenchZone; 5] = [BENCH13, BENCH8, BENCH15, BENCH_NSEC3, BENCH_BOGUS];

impl BenchZone {
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
