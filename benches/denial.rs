//! candor-denial throughput (proofs/s): a typical NXDOMAIN with three NSEC3
//! records (iterations 0 and 10) and with two NSEC records. Hashing goes
//! through candor-crypto with a fresh per-response budget, as in the
//! validator.
//!
//! Run: `cargo bench --bench denial`.

use std::hint::black_box;

use candor_crypto::nsec3_hash;
use candor_denial::{BudgetHasher, Limits, Proof, nxdomain};
use candor_wire::text::parse_zone;
use candor_wire::{Name, RData, Record};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// An NXDOMAIN response's NSEC3 records for `q` in `example.`: the match
/// for the closest encloser and covers for the next closer and the wildcard.
fn nsec3_response(q: &Name, iterations: u16) -> Vec<Record> {
    let zone: Name = "example.".parse().expect("zone");
    let salt = [0xaa, 0xbb, 0xcc, 0xdd];
    // The zone holds the apex, www and mail; build its whole chain and
    // keep the three records the proof needs (plus none extra).
    let mut names: Vec<[u8; 20]> = ["example.", "www.example.", "mail.example."]
        .iter()
        .map(|n| nsec3_hash(&n.parse().expect("name"), &salt, iterations))
        .collect();
    names.sort();
    let chain: Vec<Record> = (0..names.len())
        .map(|i| {
            let owner =
                zone.prepend(candor_wire::text::base32hex_encode(&names[i]).to_lowercase().as_bytes()).expect("owner");
            let text = format!(
                "{owner} 300 IN NSEC3 1 0 {iterations} AABBCCDD {} A RRSIG\n",
                candor_wire::text::base32hex_encode(&names[(i + 1) % names.len()])
            );
            parse_zone(&text, None).expect("record").remove(0)
        })
        .collect();
    let mut h = BudgetHasher::new(nsec3_hash, 100_000);
    assert!(matches!(nxdomain(q, &zone, &chain, &mut h, &Limits::default()), Ok(Proof::NxDomain { .. })));
    chain
}

fn bench(c: &mut Criterion) {
    let zone: Name = "example.".parse().expect("zone");
    let q: Name = "nosuch.example.".parse().expect("name");
    let lim = Limits::default();
    let mut g = c.benchmark_group("nxdomain");
    g.throughput(Throughput::Elements(1));
    for iterations in [0u16, 10] {
        let records = nsec3_response(&q, iterations);
        g.bench_function(format!("nsec3-3rr-iter{iterations}"), |b| {
            b.iter(|| {
                let mut h = BudgetHasher::new(nsec3_hash, 10_000);
                nxdomain(black_box(&q), &zone, black_box(&records), &mut h, &lim).expect("proven")
            })
        });
    }
    let nsec = parse_zone(
        "example. 300 IN NSEC mail.example. SOA NS RRSIG NSEC DNSKEY\n\
         mail.example. 300 IN NSEC www.example. A RRSIG NSEC\n",
        None,
    )
    .expect("records");
    assert!(nsec.iter().all(|r| matches!(r.data, RData::Nsec(_))));
    g.bench_function("nsec-2rr", |b| {
        b.iter(|| {
            let mut h = BudgetHasher::new(nsec3_hash, 10_000);
            nxdomain(black_box(&q), &zone, black_box(&nsec), &mut h, &lim).expect("proven")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
