//! Key prefetch through a scripted transport: a zone cut used in the last
//! tenth of its life has its DNSKEY RRset (and its servers) fetched again
//! in the background, so the first question after the old cut's expiry
//! waits for no key; with prefetch off, that question fetches them.

mod common;
use common::*;
use std::sync::Arc;

/// A resolver trusting a signed example. zone (served, like the root, by
/// 127.0.0.1), prefetch on or off.
fn setup(prefetch: bool) -> (Arc<Resolver<Scripted, ManualClock>>, ManualClock) {
    let now: u32 = 1_800_000_000;
    let extra = "a.example. 300 A 192.0.2.1\nb.example. 300 A 192.0.2.2\nc.example. 300 A 192.0.2.3\n";
    let signed = signed_example(extra, b"key-prefetch", now);
    let ds = ds_records(&signed);
    let records = signed.records.clone();
    let script = move |_: SocketAddr, _: Protocol, q: &Message| {
        let qd = q.question().unwrap();
        let mut m = Message::default();
        m.header.flags.aa = true;
        m.answers = records.iter().filter(|r| r.owner == qd.name && covered(r) == qd.qtype).cloned().collect();
        Ok(m)
    };
    let clock = ManualClock::at(u64::from(now));
    let mut anchors = Anchors::empty();
    anchors.add_records(&ds).unwrap();
    let mut cfg = loopback_config(anchors);
    cfg.qname_minimisation = false;
    cfg.cache.prefetch = prefetch;
    let r = Arc::new(Resolver::new(cfg, Scripted::new(script), clock.clone()));
    (r, clock)
}

fn dnskey_queries(r: &Resolver<Scripted, ManualClock>) -> usize {
    asked_lines(r).iter().filter(|l| l.ends_with("example. DNSKEY")).count()
}

#[tokio::test]
async fn a_cut_used_near_its_expiry_has_its_keys_fetched_again_before_it() {
    let (r, clock) = setup(true);
    assert!(r.start_prefetching());
    assert_eq!(r.resolve(&n("a.example."), RType::A).await.security, Security::Secure);
    assert_eq!(dnskey_queries(&r), 1);
    // Early in the cut's hour: no refresh.
    clock.advance(Duration::from_secs(600));
    assert_eq!(r.resolve(&n("b.example."), RType::A).await.security, Security::Secure);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(dnskey_queries(&r), 1);
    // In its last tenth: used, and refreshed in the background, once.
    clock.advance(Duration::from_secs(2700));
    let before = r.counters().prefetches();
    assert_eq!(r.resolve(&n("c.example."), RType::A).await.security, Security::Secure);
    for _ in 0..100 {
        if r.counters().prefetches() > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(r.counters().prefetches(), before + 1, "the cut was refreshed");
    assert_eq!(dnskey_queries(&r), 2, "its keys were fetched again: {:?}", asked_lines(&r));
    // Past the old cut's expiry: a new name needs no key.
    clock.advance(Duration::from_secs(400));
    assert_eq!(r.resolve(&n("ns.example."), RType::A).await.security, Security::Secure);
    assert_eq!(dnskey_queries(&r), 2, "{:?}", asked_lines(&r));
}

#[tokio::test]
async fn without_prefetch_the_first_question_after_expiry_fetches_the_keys() {
    let (r, clock) = setup(false);
    assert!(!r.start_prefetching());
    assert_eq!(r.resolve(&n("a.example."), RType::A).await.security, Security::Secure);
    clock.advance(Duration::from_secs(3300));
    assert_eq!(r.resolve(&n("c.example."), RType::A).await.security, Security::Secure);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(dnskey_queries(&r), 1);
    clock.advance(Duration::from_secs(400));
    assert_eq!(r.resolve(&n("ns.example."), RType::A).await.security, Security::Secure);
    assert_eq!(dnskey_queries(&r), 2, "{:?}", asked_lines(&r));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_lab_every_cut_on_the_way_is_refreshed_and_the_next_hour_starts_warm() {
    use candor_resolver::NetTransport;
    let (lab, _running, config) = lab_and_config(77).await;
    let name = lab.cases.iter().find(|(c, _)| c.name == "valid").map(|(_, q)| q.clone()).unwrap();
    let clock = ManualClock::at(NOW);
    let r = Arc::new(Resolver::new(config, NetTransport::new(), clock.clone()));
    assert!(r.start_prefetching());
    let (first, cold) = r.resolve_costed(&name, RType::A).await;
    assert_eq!(first.security, Security::Secure);
    // The delegations live an hour; in its last tenth the zone is used.
    clock.advance(Duration::from_secs(3300));
    let before = r.counters().prefetches();
    assert_eq!(r.resolve(&name, RType::AAAA).await.security, Security::Secure);
    // Its cut, and those of test. and the root that the refresh walks
    // through, each refreshed once.
    for _ in 0..200 {
        if r.counters().prefetches() >= before + 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(r.counters().prefetches(), before + 3);
    // Past the first hour: a new question costs one query, not the walk.
    clock.advance(Duration::from_secs(400));
    let (txt, warm) = r.resolve_costed(&name, RType::TXT).await;
    assert_eq!(txt.security, Security::Secure);
    assert_eq!(warm, 1, "only the question itself (the cold one took {cold})");
}
