//! The validator's steps against the lab, without sockets: for every case
//! whose fault lies in the DS → DNSKEY → RRSIG chain of one zone, the
//! parent's DS set, the zone's DNSKEY RRset and the answer come from the
//! lab's authoritative logic, and the verdict and EDE code must be the
//! catalogue's.

use candor_lab::{Authority, Build, DsSpec, Lab, LabConfig, Verdict};
use candor_resolver::{FailureKind, KeyInput, Spent, Trust, Validator, rrsigs_for};
use candor_wire::{Ds, Edns, Message, Name, Question, RData, RType, Record};

const NOW: u64 = 1_800_000_000;

fn ask(lab: &Lab, zone: &Name, qname: &Name, qtype: RType) -> Message {
    let z = lab.zones.iter().find(|z| z.origin == *zone).unwrap();
    let mut q = Message::query(7, Question::new(qname.clone(), qtype));
    q.edns = Some(Edns { dnssec_ok: true, ..Edns::default() });
    Authority::new(z.origin.clone(), &z.records, z.behavior).answer(&q, false)
}

fn parent_ds(lab: &Lab, zone: &Name) -> Vec<Ds> {
    let parent = zone.parent().unwrap();
    lab.zones
        .iter()
        .find(|z| z.origin == parent)
        .unwrap()
        .records
        .iter()
        .filter_map(|r| match &r.data {
            RData::Ds(d) if r.owner == *zone => Some(d.clone()),
            _ => None,
        })
        .collect()
}

/// The verdict and EDE code the validator reaches for one zone and query.
fn validate(lab: &Lab, zone: &Name, qname: &Name, qtype: RType, now: u64) -> (Verdict, Option<u16>, FailureKind) {
    let v = Validator::default();
    let mut spent = Spent::default();
    let ds = parent_ds(lab, zone);
    let keys_msg = ask(lab, zone, zone, RType::DNSKEY);
    let dnskeys: Vec<Record> = keys_msg.answers.iter().filter(|r| r.rtype() == RType::DNSKEY).cloned().collect();
    let sigs = rrsigs_for(&keys_msg.answers, zone, RType::DNSKEY);
    let input = KeyInput { zone, ds: &ds, anchor_keys: &[], dnskeys: &dnskeys, rrsigs: &sigs };
    let keys = match v.establish_keys(&input, now, &mut spent) {
        Trust::Secure(k) => k,
        Trust::Insecure(Some(f)) => return (Verdict::Insecure, Some(f.kind.ede_code()), f.kind),
        Trust::Insecure(None) => panic!("establishing keys says why a zone is insecure"),
        Trust::Bogus(f) => return (Verdict::Bogus, Some(f.kind.ede_code()), f.kind),
    };
    let answer = ask(lab, zone, qname, qtype);
    let rrset: Vec<Record> = answer.answers.iter().filter(|r| r.rtype() == qtype).cloned().collect();
    assert!(!rrset.is_empty(), "{qname} {qtype} answered");
    let sigs = rrsigs_for(&answer.answers, qname, qtype);
    match v.verify_rrset(&rrset, &sigs, &keys, now, &mut spent) {
        Ok(()) => (Verdict::Secure, None, FailureKind::SignatureInvalid),
        Err(f) => (Verdict::Bogus, Some(f.kind.ede_code()), f.kind),
    }
}

#[test]
fn chain_cases_get_the_catalogue_verdict_and_code() {
    let lab = Lab::build(LabConfig::new(NOW)).unwrap();
    let mut checked = Vec::new();
    for (case, qname) in &lab.cases {
        let zone = lab
            .zones
            .iter()
            .filter(|z| qname.is_subdomain_of(&z.origin))
            .max_by_key(|z| z.origin.label_count())
            .map(|z| z.origin.clone())
            .unwrap();
        let chain_case = case.behavior == Default::default()
            && case.listening
            && case.glue.is_none()
            && case.unsigned_child.is_none()
            && case.ds != DsSpec::None
            && (*qname == zone || qname.first_label() == Some(b"www"))
            && case.qtype == RType::A
            && !case.kind.starts_with("nsec")
            && (matches!(case.build, Build::Signed { .. }) || case.ds == DsSpec::Good);
        let skip = case.name.starts_with("bad-nsec3param")
            || case.name.starts_with("nsec3-iter")
            || case.name.starts_with("cname")
            || case.name == "dname";
        if !chain_case || skip {
            continue;
        }
        let now = (NOW as i64 + case.clock_offset) as u64;
        let (verdict, ede, kind) = validate(&lab, &zone, qname, case.qtype, now);
        let want = if case.verdict == Verdict::Servfail { Verdict::Bogus } else { case.verdict };
        assert_eq!((verdict, ede), (want, case.ede), "{}: got {kind:?}", case.name);
        checked.push(case.name.clone());
    }
    for must in [
        "valid-8",
        "valid-10",
        "valid-14",
        "valid-15",
        "valid-csk",
        "ds-bad-tag",
        "ds-bad-key-algo",
        "ds-unassigned-key-algo",
        "ds-unassigned-digest-algo",
        "ds-bogus-digest-value",
        "ds-bogus-next-to-good",
        "ds-unsigned-child",
        "rrsig-exp-all",
        "rrsig-exp-a",
        "rrsig-not-yet-all",
        "rrsig-exp-before-a",
        "no-rrsig-all",
        "no-rrsig-a",
        "no-rrsig-ksk",
        "no-dnskey-rrsig",
        "bad-rrsig-ksk",
        "bad-dnskey-rrsig",
        "bad-rrsig-a",
        "no-zsk",
        "no-ksk",
        "bad-ksk",
        "no-dnskey",
        "bad-zsk",
        "no-dnskey-256",
        "no-dnskey-257",
        "no-dnskey-256-257",
        "bad-zsk-algo",
        "unassigned-zsk-algo",
        "revoked-ksk",
        "ed448",
        "rsamd5",
        "dsa",
        "rsasha1",
        "clock-ahead-1d",
        "clock-behind",
    ] {
        assert!(checked.iter().any(|c| c == must), "{must} was checked");
    }
}

#[test]
fn the_budget_stops_work_and_says_so() {
    let lab = Lab::build(LabConfig::new(NOW)).unwrap();
    let zone: Name = "valid.test.".parse().unwrap();
    let v = Validator {
        budget: candor_resolver::ValidationLimits { verifications: 0, ..Default::default() },
        ..Default::default()
    };
    let ds = parent_ds(&lab, &zone);
    let keys_msg = ask(&lab, &zone, &zone, RType::DNSKEY);
    let dnskeys: Vec<Record> = keys_msg.answers.iter().filter(|r| r.rtype() == RType::DNSKEY).cloned().collect();
    let sigs = rrsigs_for(&keys_msg.answers, &zone, RType::DNSKEY);
    let input = KeyInput { zone: &zone, ds: &ds, anchor_keys: &[], dnskeys: &dnskeys, rrsigs: &sigs };
    let Trust::Bogus(f) = v.establish_keys(&input, NOW, &mut Spent::default()) else { panic!("not stopped") };
    assert_eq!(f.kind, FailureKind::ValidationBudget);
    let (code, text) = f.ede();
    assert_eq!(code, 6);
    assert!(text.contains("budget signature verifications per query (limit 0) exhausted"), "{text}");
}
