//! Differential test against hickory-proto (an independent parser, used as
//! a test oracle only) and against dig's own printout, over responses
//! captured from BIND (testdata/messages).

use std::path::PathBuf;

use candor_wire::text::{hex_decode, parse_zone};
use candor_wire::{Form, Message, Record, Writer};
use hickory_proto::op::Message as HMessage;
use hickory_proto::rr::Record as HRecord;
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder, NameEncoding};

fn corpus() -> Vec<(String, Vec<u8>, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/messages");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "hex") {
            let hex = std::fs::read_to_string(&path).unwrap();
            let dig = std::fs::read_to_string(path.with_extension("dig")).unwrap();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            out.push((name, hex_decode(hex.trim()).unwrap(), dig));
        }
    }
    out.sort();
    assert!(out.len() >= 25, "the corpus is there");
    out
}

/// A record as (lowercased owner, type, class, TTL, uncompressed rdata).
type Flat = (String, u16, u16, u32, Vec<u8>);

fn flat_ours(r: &Record) -> Flat {
    let mut w = Writer::default();
    r.data.write(&mut w, Form::Plain);
    (r.owner.to_string().to_lowercase(), r.rtype().0, r.class.0, r.ttl, w.finish())
}

fn flat_hickory(r: &HRecord) -> Flat {
    let mut buf = Vec::new();
    let mut enc = BinEncoder::new(&mut buf);
    enc.set_name_encoding(NameEncoding::Uncompressed);
    r.data.emit(&mut enc).unwrap();
    (r.name.to_ascii().to_lowercase(), u16::from(r.record_type()), u16::from(r.dns_class), r.ttl, buf)
}

#[test]
fn same_records_as_hickory() {
    for (name, wire, _) in corpus() {
        let ours = Message::from_wire(&wire).unwrap_or_else(|e| panic!("{name}: {e}"));
        let theirs = HMessage::from_vec(&wire).unwrap_or_else(|e| panic!("{name}: hickory: {e}"));
        let h = &theirs.metadata;
        assert_eq!(ours.header.id, h.id, "{name}");
        assert_eq!(ours.header.flags.aa, h.authoritative, "{name}");
        assert_eq!(ours.header.flags.tc, h.truncation, "{name}");
        assert_eq!(ours.header.flags.ad, h.authentic_data, "{name}");
        assert_eq!(ours.header.rcode.0, u16::from(h.response_code), "{name}");
        for (mine, theirs, section) in [
            (&ours.answers, &theirs.answers, "answer"),
            (&ours.authority, &theirs.authorities, "authority"),
            (&ours.additional, &theirs.additionals, "additional"),
        ] {
            let a: Vec<Flat> = mine.iter().map(flat_ours).collect();
            let b: Vec<Flat> = theirs.iter().map(flat_hickory).collect();
            assert_eq!(a, b, "{name} {section}");
        }
        let edns = ours.edns.as_ref().unwrap();
        let hedns = theirs.edns.as_ref().unwrap();
        assert_eq!(edns.udp_size, hedns.max_payload(), "{name}");
        assert_eq!(edns.dnssec_ok, hedns.flags().dnssec_ok, "{name}");
    }
}

#[test]
fn our_writer_reads_back_identically_in_hickory() {
    for (name, wire, _) in corpus() {
        let ours = Message::from_wire(&wire).unwrap();
        let rewritten = ours.to_wire().unwrap();
        assert!(
            rewritten.len() <= wire.len() + 16,
            "{name}: compression works ({} vs {})",
            rewritten.len(),
            wire.len()
        );
        assert_eq!(Message::from_wire(&rewritten).unwrap(), ours, "{name}: our round trip");
        let a = HMessage::from_vec(&wire).unwrap();
        let b = HMessage::from_vec(&rewritten).unwrap_or_else(|e| panic!("{name}: hickory rejects our output: {e}"));
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn same_records_as_dig_printed() {
    for (name, wire, dig) in corpus() {
        let ours = Message::from_wire(&wire).unwrap();
        // dig's output is zone text once its `;` comment lines are skipped.
        let printed = parse_zone(&dig, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        let from_wire: Vec<Record> =
            ours.answers.iter().chain(&ours.authority).chain(&ours.additional).cloned().collect();
        // named rotates RRsets between queries (rrset-order cyclic): compare as sets.
        let sorted = |rs: &[Record]| {
            let mut v: Vec<Flat> = rs.iter().map(flat_ours).collect();
            v.sort();
            v
        };
        assert_eq!(sorted(&printed), sorted(&from_wire), "{name}");
        // And our printout of the message reads back the same way.
        assert_eq!(parse_zone(&ours.to_string(), None).unwrap(), from_wire, "{name}");
    }
}

/// The TTL offsets point at each record's TTL, in order, OPT left out, in
/// BIND's messages and in ours (compressed differently).
#[test]
fn ttl_offsets_find_every_record_ttl() {
    for (file, wire, _) in corpus() {
        let m = Message::from_wire(&wire).unwrap();
        let ours = m.to_wire().unwrap();
        for bytes in [&wire, &ours] {
            let ttls: Vec<u32> = Message::ttl_offsets(bytes)
                .unwrap()
                .into_iter()
                .map(|at| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()))
                .collect();
            let expected: Vec<u32> = m.answers.iter().chain(&m.authority).chain(&m.additional).map(|r| r.ttl).collect();
            assert_eq!(ttls, expected, "{file}");
        }
        assert!(Message::ttl_offsets(&wire[..wire.len() - 1]).is_err(), "{file}: truncated");
    }
}
