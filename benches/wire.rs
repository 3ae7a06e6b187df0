//! Parsing and writing two typical messages, as captured from BIND in
//! testdata/messages: a root referral to `com.` with 13 NS, glue and a
//! signed DS, and a DNSSEC answer (A + RRSIG, NS + RRSIG, glue + RRSIGs).
//!
//! Run: `cargo bench --bench wire`. Throughput is in messages/s ("elements").

use std::hint::black_box;
use std::path::PathBuf;

use candor_wire::Message;
use candor_wire::text::hex_decode;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn message(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/messages").join(format!("{name}.hex"));
    let hex = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    hex_decode(hex.trim()).expect("hex")
}

fn bench(c: &mut Criterion) {
    for (label, file) in [("referral", "referral-root"), ("dnssec-answer", "answer-a")] {
        let wire = message(file);
        let parsed = Message::from_wire(&wire).expect("parses");
        let mut group = c.benchmark_group(format!("wire/{label}"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("parse", |b| b.iter(|| Message::from_wire(black_box(&wire)).expect("parses")));
        group.bench_function("write", |b| b.iter(|| black_box(&parsed).to_wire().expect("writes")));
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
