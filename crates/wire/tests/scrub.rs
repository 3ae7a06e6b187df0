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
