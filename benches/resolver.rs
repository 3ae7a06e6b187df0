//! The resolver against the lab served on loopback, over the real UDP
//! transport: cold resolutions of a validated A record (from the root:
//! referrals, DNSKEY fetches, every signature checked) and cache hits.
//!
//! Run: `cargo bench --bench resolver` (resolutions/s as elements/s).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use candor_anchor::Anchors;
use candor_lab::{Lab, LabConfig, serve};
use candor_resolver::{Config, NetTransport, Outbound, Resolver, Security, SystemClock};
use candor_wire::{Name, RData, RType, Record};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let port = std::net::UdpSocket::bind("127.0.0.1:0").and_then(|s| s.local_addr()).expect("port").port();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    let mut cfg = LabConfig::new(now);
    cfg.block = Ipv4Addr::new(127, 61, 0, 0);
    cfg.port = port;
    let lab = Lab::build(cfg).expect("lab");
    let running = rt.block_on(serve(&lab)).expect("serve");
    let mut anchors = Anchors::empty();
    let ds: Vec<Record> = lab.root_ds.iter().map(|d| Record::new(Name::root(), 0, RData::Ds(d.clone()))).collect();
    anchors.add_records(&ds).expect("anchor");
    let mut config = Config::new(vec![IpAddr::V4(Ipv4Addr::new(127, 61, 0, 1))], anchors);
    config.port = port;
    config.outbound = Outbound { allow: Some(vec!["127.0.0.0/8".parse().expect("prefix")]), ..Outbound::default() };
    config.timeout = Duration::from_secs(2);
    let qname: Name = "www.valid.test.".parse().expect("name");

    let mut g = c.benchmark_group("resolve");
    g.throughput(Throughput::Elements(1));
    g.bench_function("cold-validated-a", |b| {
        b.iter(|| {
            let r = Resolver::new(config.clone(), NetTransport::new(), SystemClock::new());
            let out = rt.block_on(r.resolve(black_box(&qname), RType::A));
            assert_eq!(out.security, Security::Secure);
        })
    });
    let warm = Resolver::new(config.clone(), NetTransport::new(), SystemClock::new());
    rt.block_on(warm.resolve(&qname, RType::A));
    g.bench_function("cache-hit", |b| {
        b.iter(|| {
            let out = rt.block_on(warm.resolve(black_box(&qname), RType::A));
            assert!(out.from_cache);
        })
    });
    // The zone cut (servers, validated keys) is cached; each name is new,
    // so every answer is fetched and its NSEC proof verified.
    let mut i = 0u64;
    g.bench_function("warm-zone-validated-nxdomain", |b| {
        b.iter(|| {
            i += 1;
            let q: Name = format!("n{i}.valid.test.").parse().expect("name");
            let out = rt.block_on(warm.resolve(black_box(&q), RType::A));
            assert_eq!(out.security, Security::Secure);
        })
    });
    g.finish();
    running.stop();
}

criterion_group!(benches, bench);
criterion_main!(benches);
