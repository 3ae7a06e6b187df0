//! The clock suspected from several zones: a signed root (signed ten days
//! ago) delegates three unrelated signed zones whose signatures all
//! expired two days ago. The first two failures blame their zones; the
//! third, with the root's window allowing a clock two days ahead, says the
//! local clock is the likely cause. A root signed an hour ago rules that
//! out: then the zones are stale, not the clock.

mod common;

use candor_lab::{Denial, KeyLayout, SignOptions, SignedZone, sign_zone};
use candor_resolver::{Evidence, FailureKind, Security};
use candor_wire::Record;
use common::*;

const NOW: u32 = 1_800_000_000;
const DAY: u32 = 86_400;

fn signed(origin: &str, text: &str, inception: u32, expiration: u32) -> SignedZone {
    let opts = SignOptions {
        algorithm: candor_wire::Algorithm::ECDSAP256SHA256,
        layout: KeyLayout::Csk,
        denial: Denial::Nsec,
        inception,
        expiration,
        seed: origin.as_bytes().to_vec(),
    };
    sign_zone(&n(origin), &parse_zone(text, None).unwrap(), &opts).unwrap()
}

/// The world: root at 127.0.0.1 (signed `root_signed` seconds before
/// NOW), zones z1., z2., z3. at 127.0.0.2..4, their signatures expired two
/// days before NOW.
fn world(root_signed: u32) -> candor_resolver::Resolver<Scripted, candor_resolver::ManualClock> {
    let mut root_text =
        String::from(". 300 SOA a.root. h.root. 1 2 3 4 300\n. 300 NS a.root.\na.root. 300 A 127.0.0.1\n");
    let mut zones = Vec::new();
    for i in 1..=3u8 {
        let origin = format!("z{i}.");
        let text = format!(
            "{origin} 300 SOA ns.{origin} h.{origin} 1 2 3 4 300\n{origin} 300 NS ns.{origin}\n\
             ns.{origin} 300 A 127.0.0.{}\nwww.{origin} 300 A 192.0.2.{i}\n",
            i + 1
        );
        let z = signed(&origin, &text, NOW - 20 * DAY, NOW - 2 * DAY);
        root_text.push_str(&format!("{origin} 300 NS ns.{origin}\nns.{origin} 300 A 127.0.0.{}\n", i + 1));
        for d in ds_records(&z) {
            root_text.push_str(&format!("{d}\n"));
        }
        zones.push(z.records);
    }
    let root = signed(".", &root_text, NOW - root_signed, NOW + 20 * DAY);
    let anchor = ds_records(&root);
    let records: Vec<Vec<Record>> = std::iter::once(root.records).chain(zones).collect();
    let script = move |server: std::net::SocketAddr, _: Protocol, q: &Message| {
        let qd = q.question().unwrap();
        let i = usize::from(server.ip().to_string().rsplit('.').next().unwrap().parse::<u8>().unwrap() - 1);
        let zone = &records[i];
        let mut m = resp(true, Rcode::NOERROR, "", "", "");
        m.answers = rrset_of(zone, &qd.name, qd.qtype);
        // The root refers down: NS, glue, and the signed DS.
        if i == 0 && m.answers.is_empty() {
            let child = qd.name.trim_to(1);
            m.header.flags.aa = false;
            m.authority = rrset_of(zone, &child, RType::NS);
            m.authority.extend(rrset_of(zone, &child, RType::DS));
            m.additional = rrset_of(zone, &child.prepend(b"ns").unwrap(), RType::A);
        }
        Ok(m)
    };
    anchored(&anchor, script, NOW, |cfg| cfg.roots = vec!["127.0.0.1".parse().unwrap()])
}

async fn failure(
    r: &candor_resolver::Resolver<Scripted, candor_resolver::ManualClock>,
    zone: u8,
) -> candor_resolver::Failure {
    let out = r.resolve(&n(&format!("www.z{zone}.")), RType::A).await;
    let Security::Bogus(f) = out.security else { panic!("z{zone}: {:?}", out.security) };
    assert_eq!(f.kind, FailureKind::SignatureExpired, "z{zone}");
    *f
}

#[tokio::test]
async fn three_unrelated_zones_expired_the_same_way_point_at_the_clock() {
    let r = world(10 * DAY);
    for zone in 1..=2 {
        let f = failure(&r, zone).await;
        assert!(!f.text().contains("local clock"), "z{zone}: {}", f.text());
    }
    let f = failure(&r, 3).await;
    assert!(f.evidence.iter().any(|e| matches!(e, Evidence::ClockSuspect(_))), "{:?}", f.evidence);
    let text = f.text();
    assert!(
        text.contains("signatures of 3 unrelated zones looked expired within 10 minutes")
            && text.contains("the local clock is likely at least 2 days ahead"),
        "{text}"
    );
}

#[tokio::test]
async fn a_freshly_signed_root_rules_the_clock_out() {
    let r = world(3600);
    for zone in 1..=3 {
        let f = failure(&r, zone).await;
        assert!(!f.text().contains("local clock"), "z{zone}: {}", f.text());
    }
}
