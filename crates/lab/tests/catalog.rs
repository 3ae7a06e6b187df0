//! The lab without sockets: the catalogue is well-formed, building is
//! deterministic, and the authoritative answers of the healthy negative
//! cases carry denial records that verify (candor-crypto) and prove
//! (candor-denial) what the catalogue says.

use std::collections::BTreeSet;

use candor_crypto::{Policy, PublicKey, RING, key_tag, nsec3_hash, verify_rrsig};
use candor_denial::{BudgetHasher, Limits, Proof, nodata, nxdomain, wildcard_answer};
use candor_lab::{Authority, Lab, LabConfig, Verdict, cases};
use candor_wire::{Edns, Message, Name, Question, RData, RType, Rcode, Record};

const NOW: u64 = 1_800_000_000;

fn lab() -> Lab {
    Lab::build(LabConfig::new(NOW)).unwrap()
}

fn ask(lab: &Lab, qname: &Name, qtype: RType) -> (Name, Message) {
    let zone =
        lab.zones.iter().filter(|z| qname.is_subdomain_of(&z.origin)).max_by_key(|z| z.origin.label_count()).unwrap();
    let auth = Authority::new(zone.origin.clone(), &zone.records, zone.behavior);
    let mut q = Message::query(1, Question::new(qname.clone(), qtype));
    q.edns = Some(Edns { dnssec_ok: true, ..Edns::default() });
    (zone.origin.clone(), auth.answer(&q, false))
}

/// Verify every RRSIG in `section` with the zone's DNSKEYs.
fn verify_section(lab: &Lab, zone: &Name, section: &[Record]) {
    let z = lab.zones.iter().find(|z| z.origin == *zone).unwrap();
    let keys = z.dnskeys();
    for r in section {
        let RData::Rrsig(sig) = &r.data else { continue };
        let rrset: Vec<Record> =
            section.iter().filter(|x| x.owner == r.owner && x.rtype() == sig.type_covered).cloned().collect();
        let key = keys.iter().find(|k| key_tag(k) == sig.key_tag).unwrap();
        let public = PublicKey::from_dnskey(key, Policy::PRODUCTION).unwrap();
        verify_rrsig(&rrset, sig, zone, key, &public, NOW, &RING).unwrap_or_else(|e| panic!("{}: {e}", r.owner));
    }
}

#[test]
fn catalogue_is_well_formed() {
    let all = cases();
    let names: BTreeSet<&str> = all.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), all.len(), "case names are unique");
    for c in &all {
        assert!(!c.description.is_empty() && !c.kind.is_empty(), "{}", c.name);
        match c.verdict {
            Verdict::Secure => assert_eq!(c.ede, None, "{}", c.name),
            Verdict::Bogus | Verdict::Servfail => assert!(c.ede.is_some(), "{}", c.name),
            Verdict::Insecure => {}
        }
    }
    for want in [
        "valid-8",
        "valid-13",
        "valid-15",
        "unsigned",
        "no-ds",
        "ds-bad-tag",
        "ds-bogus-digest-value",
        "rrsig-exp-all",
        "rrsig-not-yet-a",
        "rrsig-exp-before-a",
        "no-rrsig-ksk",
        "bad-rrsig-ksk",
        "no-zsk",
        "no-dnskey-256-257",
        "ed448",
        "rsasha1",
        "bad-nsec3-hash",
        "nsec3-missing",
        "nsec3-iter-51",
        "allow-query-none",
        "servfail",
        "not-auth",
        "bad-nsec3param-salt",
        "nsec3param-missing",
    ] {
        assert!(names.contains(want), "{want} in the catalogue");
    }
}

#[test]
fn building_is_deterministic() {
    let (a, b) = (lab(), lab());
    assert_eq!(a.root_ds, b.root_ds);
    assert_eq!(a.zones.len(), b.zones.len());
    for (x, y) in a.zones.iter().zip(&b.zones) {
        assert_eq!(x.records, y.records, "{}", x.origin);
    }
}

#[test]
fn healthy_negative_answers_are_proven() {
    let lab = lab();
    let lim = Limits::default();
    let mut checked = 0;
    for (case, qname) in &lab.cases {
        if case.verdict != Verdict::Secure || !case.breakage.is_empty() || case.behavior != Default::default() {
            continue;
        }
        let (zone, resp) = ask(&lab, qname, case.qtype);
        verify_section(&lab, &zone, &resp.answers);
        verify_section(&lab, &zone, &resp.authority);
        let mut h = BudgetHasher::new(nsec3_hash, 10_000);
        let proof = match resp.header.rcode {
            Rcode::NXDOMAIN => nxdomain(qname, &zone, &resp.authority, &mut h, &lim),
            Rcode::NOERROR if resp.answers.is_empty() => {
                nodata(qname, case.qtype, &zone, &resp.authority, &mut h, &lim)
            }
            Rcode::NOERROR => {
                // A wildcard answer: its RRSIG's labels field is below the owner's count.
                let labels = resp.answers.iter().find_map(|r| match &r.data {
                    RData::Rrsig(s) if usize::from(s.labels) < r.owner.rrsig_label_count() => Some(s.labels),
                    _ => None,
                });
                match labels {
                    Some(l) => wildcard_answer(qname, l, &zone, &resp.authority, &mut h, &lim),
                    None => continue,
                }
            }
            other => panic!("{}: rcode {other}", case.name),
        };
        let proof = proof.unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert!(!proof.is_insecure() || case.name.starts_with("nsec3-iter"), "{}: {proof:?}", case.name);
        checked += 1;
    }
    assert!(checked >= 8, "{checked} negative or wildcard answers proven");
}

#[test]
fn broken_denials_fail_to_prove() {
    let lab = lab();
    let lim = Limits::default();
    for name in
        ["bad-nsec3-hash", "bad-nsec3-next", "nsec3-gap", "nsec3-salt-mismatch", "nsec3-missing", "nsec-missing"]
    {
        let (case, qname) = lab.cases.iter().find(|(c, _)| c.name == name).unwrap();
        let (zone, resp) = ask(&lab, qname, case.qtype);
        assert_eq!(resp.header.rcode, Rcode::NXDOMAIN, "{name}");
        let mut h = BudgetHasher::new(nsec3_hash, 10_000);
        let r = nxdomain(qname, &zone, &resp.authority, &mut h, &lim);
        assert!(r.is_err(), "{name}: {r:?}");
        assert_eq!(r.unwrap_err().ede_code(), 12, "{name}");
    }
    // A NODATA whose NSEC still lists the type.
    let (case, qname) = lab.cases.iter().find(|(c, _)| c.name == "nodata-bitmap-has-type").unwrap();
    let (zone, resp) = ask(&lab, qname, case.qtype);
    assert!(resp.answers.is_empty() && resp.header.rcode == Rcode::NOERROR);
    let mut h = BudgetHasher::new(nsec3_hash, 10_000);
    assert_eq!(
        nodata(qname, RType::TXT, &zone, &resp.authority, &mut h, &lim),
        Err(candor_denial::DenialError::BitmapHasType { owner: qname.clone(), rtype: RType::TXT })
    );
    // Iterations above the cap: insecure.
    let (case, qname) = lab.cases.iter().find(|(c, _)| c.name == "nsec3-iter-151").unwrap();
    let (zone, resp) = ask(&lab, qname, case.qtype);
    let mut h = BudgetHasher::new(nsec3_hash, 10_000);
    let p = nxdomain(qname, &zone, &resp.authority, &mut h, &lim).unwrap();
    assert_eq!(p, Proof::Insecure(candor_denial::Insecure::IterationsAboveCap { iterations: 151, cap: 50 }));
}
