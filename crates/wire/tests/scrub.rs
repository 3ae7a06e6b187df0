//! Reading an authority's response that carries a record whose RDATA does
//! not fit its type: the strict parser refuses the message, the scrubbing
//! one leaves that record out and keeps the rest, and neither accepts a
//! message whose framing is broken.

use candor_wire::{Message, Name, Question, RData, RType, Record};

fn response() -> Vec<u8> {
    let name: Name = "www.example.".parse().unwrap();
    let mut m = Message::query(9, Question::new(name.clone(), RType::A));
    m.header.flags.qr = true;
    m.answers = vec![
        Record::new(name.clone(), 300, RData::A([192, 0, 2, 1].into())),
        // An A record of three octets.
        Record::new(name.clone(), 300, RData::Unknown { rtype: RType::A, data: vec![3, 4, 5] }),
    ];
    m.additional = vec![Record::new(name, 300, RData::Unknown { rtype: RType::AAAA, data: vec![0; 48] })];
    m.to_wire().unwrap()
}

#[test]
fn malformed_rdata_is_left_out_only_when_scrubbing() {
    let wire = response();
    assert!(Message::from_wire(&wire).is_err(), "the strict parser refuses it");
    let (m, dropped) = Message::from_wire_scrubbed(&wire).unwrap();
    let www: Name = "www.example.".parse().unwrap();
    assert_eq!(dropped, [(www.clone(), RType::A), (www, RType::AAAA)]);
    assert_eq!(m.answers.len(), 1);
    assert_eq!(m.answers[0].data, RData::A([192, 0, 2, 1].into()));
    assert!(m.additional.is_empty());
}

#[test]
fn broken_framing_is_refused_either_way() {
    let wire = response();
    let cut = &wire[..wire.len() - 5];
    assert!(Message::from_wire(cut).is_err());
    assert!(Message::from_wire_scrubbed(cut).is_err());
}

#[test]
fn rrsigs_past_the_cap_over_one_rrset_are_skipped_in_order_each_rrset_on_its_own() {
    use candor_wire::Class;
    let sig = |owner: &str, tag: u32| {
        let text = format!("{owner} 300 RRSIG A 13 2 300 20300101000000 20200101000000 {tag} example. AAAA\n");
        candor_wire::text::parse_zone(&text, None).unwrap().remove(0)
    };
    let a: Name = "a.example.".parse().unwrap();
    let data = "a.example. 300 A 192.0.2.1\nb.example. 300 A 192.0.2.2\n";
    let mut m = Message { answers: candor_wire::text::parse_zone(data, None).unwrap(), ..Message::default() };
    // Three over a.example./A, then ten over b.example./A (past the cap
    // in all: counted per RRset from here on), then one over a.example./A
    // that does not parse (it takes no place among the 8) and one of class
    // CH (not counted), then seventeen more over a.example./A.
    m.answers.extend((0..3).map(|i| sig("a.example.", i)));
    m.answers.extend((0..10).map(|i| sig("b.example.", i)));
    m.answers.push(Record::new(a.clone(), 300, RData::Unknown { rtype: RType::RRSIG, data: vec![0, 1, 13] }));
    let mut ch = sig("a.example.", 99);
    ch.class = Class(3);
    m.answers.push(ch);
    m.answers.extend((3..20).map(|i| sig("a.example.", i)));
    let wire = m.to_wire().unwrap();
    let tags = |m: &Message, owner: &str, class: u16| -> Vec<u16> {
        let owner: Name = owner.parse().unwrap();
        m.answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Rrsig(s) if r.owner == owner && r.class == Class(class) => Some(s.key_tag),
                _ => None,
            })
            .collect()
    };
    let (capped, dropped) = Message::from_wire_scrubbed_capped(&wire, 8).unwrap();
    assert_eq!(dropped, [(a, RType::RRSIG)], "only the malformed one is reported");
    assert_eq!(tags(&capped, "a.example.", 1), (0..8).collect::<Vec<u16>>(), "the first 8, in order");
    assert_eq!(tags(&capped, "b.example.", 1), (0..8).collect::<Vec<u16>>(), "another RRset has its own 8");
    assert_eq!(tags(&capped, "a.example.", 3), vec![99], "another class is not capped");
    assert_eq!(capped.answers.iter().filter(|r| r.rtype() == RType::A).count(), 2, "the data stays");
    let (whole, _) = Message::from_wire_scrubbed(&wire).unwrap();
    assert_eq!(tags(&whole, "a.example.", 1).len(), 20, "uncapped: all of them");
}
