//! The lab's attack zones cost little after the first name: the resolver
//! over the real transport against the lab served on loopback, counting
//! its upstream queries and its signature verifications.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use candor_resolver::{
    BudgetKind, FailureKind, ManualClock, NetTransport, Protocol, Resolver, Security, Transport, TransportError,
};
use candor_wire::{Name, RType};

mod common;

use common::{NOW, lab_and_config};

/// The production transport, counting the queries it sends.
struct Counting {
    inner: NetTransport,
    asked: AtomicUsize,
}

impl Transport for Counting {
    async fn query(
        &self,
        server: SocketAddr,
        protocol: Protocol,
        query: &[u8],
        timeout: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        self.asked.fetch_add(1, Ordering::Relaxed);
        self.inner.query(server, protocol, query, timeout).await
    }
}

/// The lab served on 127.`block`.0.0 at a free port, and a resolver over it.
async fn lab_resolver(block: u8) -> (candor_lab::Running, Resolver<Counting, ManualClock>) {
    let (_, running, config) = lab_and_config(block).await;
    let transport = Counting { inner: NetTransport::new(), asked: AtomicUsize::new(0) };
    (running, Resolver::new(config, transport, ManualClock::at(NOW)))
}

fn n(s: &str) -> Name {
    s.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bogus_signatures_under_a_wildcard_are_verified_once_and_at_most_twice_per_rrset() {
    let (_lab, r) = lab_resolver(71).await;
    for zone in ["attack-sigflood.test.", "attack-keytrap.test."] {
        // The chain of trust down to the zone's keys, first.
        let keys = r.resolve(&n(zone), RType::DNSKEY).await;
        assert_eq!(keys.security, Security::Secure, "{zone}: {:?}", keys.security);
        let before = r.verifications();
        let first = r.resolve(&n(&format!("n1.{zone}")), RType::A).await;
        let Security::Bogus(f) = &first.security else { panic!("{zone}: {:?}", first.security) };
        assert_eq!(f.kind, FailureKind::SignatureInvalid);
        assert!(f.text().contains("the rest were not tried"), "{}", f.text());
        let one = r.verifications() - before;
        assert!((1..=2).contains(&one), "{zone}: {one} verifications for the first name (8 RRSIGs came)");
        for i in 2..=6 {
            let next = r.resolve(&n(&format!("n{i}.{zone}")), RType::A).await;
            assert!(matches!(next.security, Security::Bogus(_)), "{zone} n{i}: {:?}", next.security);
        }
        assert_eq!(r.verifications() - before, one, "{zone}: the wildcard's signatures were verified again");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_too_long_cname_chain_is_walked_from_the_cache_by_the_next_name() {
    let (_lab, r) = lab_resolver(72).await;
    let first = r.resolve(&n("n1.attack-cname-a.test."), RType::A).await;
    let Security::Servfail(f) = &first.security else { panic!("{:?}", first.security) };
    assert_eq!(f.kind, FailureKind::ResolutionBudget);
    assert_eq!(f.budget.as_ref().map(|b| b.0), Some(BudgetKind::CnameChain), "{}", f.text());
    assert!(f.text().contains("n1.attack-cname-a.test. -> l1.attack-cname-b.test."), "{}", f.text());
    let asked = r.transport().asked.load(Ordering::Relaxed);
    let second = r.resolve(&n("n2.attack-cname-a.test."), RType::A).await;
    assert!(matches!(second.security, Security::Servfail(_)), "{:?}", second.security);
    let more = r.transport().asked.load(Ordering::Relaxed) - asked;
    assert!(more <= 1, "{more} upstream queries for the second name (its chain's links are cached)");
}
