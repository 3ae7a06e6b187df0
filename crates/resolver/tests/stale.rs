//! Serve-stale (RFC 8767) through a scripted transport: an expired answer
//! served when its refresh fails, with TTL 30, AD only while its
//! signatures hold, not asked again for 30 s, never for bogus data, and
//! not at all when switched off.

mod common;
use common::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A resolver trusting a signed example. zone served by a script that
/// times out while `down` is set; its clock.
fn setup(
    seed: &[u8],
    tweak: impl FnOnce(&mut Config),
) -> (Resolver<Scripted, ManualClock>, Arc<AtomicBool>, ManualClock, u32) {
    let now: u32 = 1_800_000_000;
    let signed = signed_example("www.example. 300 A 192.0.2.1\n", seed, now);
    let ds = ds_records(&signed);
    let records = signed.records.clone();
    let expiration = records
        .iter()
        .find_map(|r| match &r.data {
            candor_wire::RData::Rrsig(s) if s.type_covered == RType::A => Some(s.expiration),
            _ => None,
        })
        .unwrap();
    let down = Arc::new(AtomicBool::new(false));
    let d = Arc::clone(&down);
    let script = move |server: SocketAddr, _: Protocol, q: &Message| {
        if d.load(Ordering::SeqCst) {
            return Err(TransportError::Timeout(server));
        }
        let qd = q.question().unwrap();
        let mut m = Message::default();
        m.header.flags.aa = true;
        m.answers = records.iter().filter(|r| r.owner == qd.name && covered(r) == qd.qtype).cloned().collect();
        Ok(m)
    };
    let mut anchors = Anchors::empty();
    anchors.add_records(&ds).unwrap();
    let mut cfg = loopback_config(anchors);
    cfg.qname_minimisation = false;
    tweak(&mut cfg);
    let clock = ManualClock::at(u64::from(now));
    (Resolver::new(cfg, Scripted::new(script), clock.clone()), down, clock, expiration)
}

#[tokio::test]
async fn an_expired_answer_is_served_stale_when_its_refresh_fails_and_not_asked_again_for_30_s() {
    let (r, down, clock, _) = setup(b"stale", |_| {});
    let www = n("www.example.");
    assert_eq!(r.resolve(&www, RType::A).await.security, Security::Secure);
    clock.advance(Duration::from_secs(301));
    down.store(true, Ordering::SeqCst);
    let before = r.transport().asked().len();
    let out = r.resolve(&www, RType::A).await;
    assert!(r.transport().asked().len() > before, "the refresh was tried");
    assert_eq!(out.rcode, Rcode::NOERROR);
    assert_eq!(out.security, Security::Secure, "its signatures still hold: AD");
    assert!(out.answers.iter().all(|rr| rr.ttl == 30), "{:?}", out.answers);
    let stale = out.stale.expect("marked stale");
    assert_eq!(stale.expired_at, 1_800_000_300);
    assert!(stale.why.starts_with("refreshing it failed: "), "{}", stale.why);
    // Within 30 s: served stale without asking.
    clock.advance(Duration::from_secs(10));
    let asked = r.transport().asked().len();
    assert!(r.resolve(&www, RType::A).await.stale.is_some());
    assert_eq!(r.transport().asked().len(), asked, "no query within the recheck time");
    // After it, asked again; and once the authority is back, fresh data.
    clock.advance(Duration::from_secs(25));
    assert!(r.resolve(&www, RType::A).await.stale.is_some());
    assert!(r.transport().asked().len() > asked, "asked again after 30 s");
    down.store(false, Ordering::SeqCst);
    clock.advance(Duration::from_secs(31));
    let fresh = r.resolve(&www, RType::A).await;
    assert!(fresh.stale.is_none() && fresh.security == Security::Secure);
    assert!(fresh.answers.iter().any(|rr| rr.ttl == 300), "{:?}", fresh.answers);
}

#[tokio::test]
async fn stale_data_past_its_signatures_loses_ad_and_nothing_is_stale_past_the_window() {
    let (r, down, clock, expiration) = setup(b"stale-sigs", |c| {
        c.cache.serve_stale = Some(Duration::from_secs(100 * 86_400));
    });
    let www = n("www.example.");
    r.resolve(&www, RType::A).await;
    down.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(u64::from(expiration - 1_800_000_000) + 60));
    let out = r.resolve(&www, RType::A).await;
    assert!(out.stale.is_some());
    assert_eq!(out.security, Security::Insecure(None), "signatures expired: no AD");
    // Past the window: no stale answer, the failure.
    let (r, down, clock, _) = setup(b"stale-window", |c| c.cache.serve_stale = Some(Duration::from_secs(3600)));
    r.resolve(&www, RType::A).await;
    down.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(300 + 3601));
    assert_eq!(r.resolve(&www, RType::A).await.rcode, Rcode::SERVFAIL);
}

#[tokio::test]
async fn switched_off_an_expired_answer_is_not_served() {
    let (r, down, clock, _) = setup(b"stale-off", |c| c.cache.serve_stale = None);
    let www = n("www.example.");
    r.resolve(&www, RType::A).await;
    down.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(301));
    let out = r.resolve(&www, RType::A).await;
    assert!(out.stale.is_none());
    assert_eq!(out.rcode, Rcode::SERVFAIL);
}

#[tokio::test]
async fn an_answer_asked_for_in_its_last_tenth_is_refreshed_before_it_expires() {
    let (r, _down, clock, _) = setup(b"prefetch", |_| {});
    let r = Arc::new(r);
    assert!(r.start_prefetching());
    let www = n("www.example.");
    r.resolve(&www, RType::A).await;
    let asked = r.transport().asked().len();
    // Not yet due: no refresh.
    clock.advance(Duration::from_secs(200));
    r.resolve(&www, RType::A).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(r.transport().asked().len(), asked);
    // In its last 30 s: answered from the cache, and refreshed meanwhile.
    clock.advance(Duration::from_secs(75));
    let hit = r.resolve(&www, RType::A).await;
    assert!(hit.from_cache && hit.answers.iter().all(|rr| rr.ttl <= 25), "{:?}", hit.answers);
    for _ in 0..100 {
        if r.counters().prefetches() > 0 && r.transport().asked().len() > asked {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(r.counters().prefetches(), 1);
    let refreshed = r.transport().asked().len();
    assert!(refreshed > asked, "the refresh asked the authority");
    // Once per entry: asked again in the window, no second refresh.
    r.resolve(&www, RType::A).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(r.counters().prefetches(), 1);
    // Past the old expiry: the refreshed answer, from the cache.
    clock.advance(Duration::from_secs(40));
    let after = r.resolve(&www, RType::A).await;
    assert!(after.from_cache && after.answers.iter().any(|rr| rr.ttl > 250), "{:?}", after.answers);
    assert_eq!(r.transport().asked().len(), refreshed, "no query at the old expiry");
}
