//! candor-wire against real data: BIND-signed zones in testdata/, the
//! published vectors in ../shared/vectors, and a table of malformed input.

mod common;

use std::collections::BTreeSet;

use candor_wire::text::{ZoneError, ZoneErrorKind, ZoneParser, parse_zone};
use candor_wire::{BitmapError, Message, NameError, RData, RType, Record, WireError, canonical_order};

fn load(path: &std::path::Path, origin: Option<&str>) -> Vec<Record> {
    ZoneParser::new(origin.map(|o| o.parse().unwrap())).parse_file(path).unwrap_or_else(|e| panic!("{e}"))
}

/// Print every record, parse the printout, and demand the same records;
/// also write each rdata to wire and read it back.
fn round_trip(records: &[Record]) {
    let printed: String = records.iter().map(|r| format!("{r}\n")).collect();
    let reparsed = parse_zone(&printed, None).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(reparsed.len(), records.len());
    for (a, b) in records.iter().zip(&reparsed) {
        assert_eq!(a, b, "printed as {a}");
        assert_eq!(a.owner.as_wire(), b.owner.as_wire(), "case preserved for {a}");
        let wire = a.data.to_wire();
        assert_eq!(RData::from_wire(a.rtype(), &wire).unwrap(), a.data, "wire round trip of {a}");
    }
}

#[test]
fn signed_zones_in_testdata_cover_every_type_and_round_trip() {
    let dir = common::testdata().join("zones");
    let mut all = load(&dir.join("example.signed"), Some("example."));
    all.extend(load(&dir.join("nsec3.example.signed"), Some("nsec3.example.")));
    round_trip(&all);
    let seen: BTreeSet<RType> = all.iter().map(Record::rtype).collect();
    let wanted = [
        RType::A,
        RType::AAAA,
        RType::NS,
        RType::CNAME,
        RType::DNAME,
        RType::SOA,
        RType::PTR,
        RType::MX,
        RType::TXT,
        RType::SRV,
        RType::DS,
        RType::CDS,
        RType::DNSKEY,
        RType::CDNSKEY,
        RType::RRSIG,
        RType::NSEC,
        RType::NSEC3,
        RType::NSEC3PARAM,
        RType::TLSA,
        RType::SSHFP,
        RType::CAA,
        RType::HINFO,
        RType::SVCB,
        RType::HTTPS,
        RType(65280),
    ];
    for t in wanted {
        assert!(seen.contains(&t), "testdata zones hold a {t} record");
    }
    // Case is kept where the source had it.
    assert!(all.iter().any(|r| r.owner.to_string() == "Mixed.Case.example."));
    // BIND printed SVCB in presentation form; we read it into the same octets
    // the unsigned source gave in \# form.
    let source = load(&dir.join("example.zone"), None);
    let svcb = |rs: &[Record]| rs.iter().find(|r| r.rtype() == RType::SVCB).map(|r| r.data.clone());
    assert_eq!(svcb(&all), svcb(&source));
    let https = |rs: &[Record]| rs.iter().find(|r| r.rtype() == RType::HTTPS).map(|r| r.data.clone());
    assert_eq!(https(&all), https(&source));
}

#[test]
fn canonical_rrset_order_and_form() {
    let zone = "$ORIGIN Example.\n$TTL 60\n\
                @ NS NS2.Example.\n@ NS ns1.example.\n@ NS ns2.example.\n\
                n NSEC Next.Example. A RRSIG NSEC\n";
    let records = parse_zone(zone, None).unwrap();
    let mut ns: Vec<Record> = records.iter().filter(|r| r.rtype() == RType::NS).cloned().collect();
    canonical_order(&mut ns);
    // NS2.Example. and ns2.example. are the same in canonical form: one survives.
    let names: Vec<String> = ns.iter().map(|r| r.data.to_string().to_lowercase()).collect();
    assert_eq!(names, ["ns1.example.", "ns2.example."]);
    assert_eq!(records[0].data.to_canonical(), b"\x03ns2\x07example\x00");
    // RFC 6840 §5.1: the NSEC next name keeps its case in canonical form.
    let nsec = records.iter().find(|r| r.rtype() == RType::NSEC).unwrap();
    assert!(nsec.data.to_canonical().starts_with(b"\x04Next\x07Example\x00"));
}

#[test]
fn trust_anchor_lines_without_ttl_load() {
    let text = ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n";
    let records = parse_zone(text, None).unwrap();
    assert_eq!(records[0].ttl, 0);
    assert_eq!(
        records[0].to_string(),
        ".\t0\tIN\tDS\t20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"
    );
}

#[test]
fn include_and_origin_directives() {
    let dir = std::env::temp_dir().join(format!("candor-include-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("inner.db"), "www A 192.0.2.1\n").unwrap();
    std::fs::write(
        dir.join("outer.db"),
        "$TTL 1h\n$ORIGIN example.\n$INCLUDE inner.db sub.example.\nmail A 192.0.2.2\n",
    )
    .unwrap();
    let records = ZoneParser::new(None).parse_file(&dir.join("outer.db")).unwrap();
    let owners: Vec<String> = records.iter().map(|r| format!("{} {}", r.owner, r.ttl)).collect();
    assert_eq!(owners, ["www.sub.example. 3600", "mail.example. 3600"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------- malformed

/// A message: header with the given counts, then `body`.
fn msg(counts: [u16; 4], body: &[u8]) -> Vec<u8> {
    let mut v = vec![0x12, 0x34, 0x81, 0x80];
    for c in counts {
        v.extend_from_slice(&c.to_be_bytes());
    }
    v.extend_from_slice(body);
    v
}

/// Question `a.` A IN, 7 octets at offset 12.
const Q: &[u8] = &[1, b'a', 0, 0, 1, 0, 1];

/// An answer record at offset 19 owned by a pointer to the question name.
fn rr(rtype: u16, rdata: &[u8]) -> Vec<u8> {
    let mut v = vec![0xc0, 12];
    v.extend_from_slice(&rtype.to_be_bytes());
    v.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
    v.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    v.extend_from_slice(rdata);
    v
}

fn with_q(counts: [u16; 4], rest: &[u8]) -> Vec<u8> {
    let mut body = Q.to_vec();
    body.extend_from_slice(rest);
    msg(counts, &body)
}

fn opt(options: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0];
    v.extend_from_slice(&(options.len() as u16).to_be_bytes());
    v.extend_from_slice(options);
    v
}

#[test]
fn malformed_wire_table() {
    let mut long_name = Vec::new();
    for _ in 0..5 {
        long_name.push(63);
        long_name.extend_from_slice(&[b'x'; 63]);
    }
    long_name.push(0);
    let mut two_opts = opt(&[]);
    two_opts.extend(opt(&[]));
    let cases: Vec<(&str, Vec<u8>, WireError)> = vec![
        ("truncated header", vec![0x12, 0x34, 0x81], WireError::Truncated { offset: 3, what: "header" }),
        (
            "question name cut",
            msg([1, 0, 0, 0], &[3, b'c', b'o']),
            WireError::Truncated { offset: 15, what: "domain name" },
        ),
        ("question type cut", msg([1, 0, 0, 0], &[0, 0]), WireError::Truncated { offset: 14, what: "question type" }),
        ("pointer loop", msg([1, 0, 0, 0], &[0xc0, 12, 0, 1, 0, 1]), WireError::PointerLoop { offset: 12 }),
        (
            "forward pointer",
            msg([1, 0, 0, 0], &[0xc0, 20, 0, 1, 0, 1]),
            WireError::ForwardPointer { offset: 12, target: 20 },
        ),
        (
            "pointer into header",
            with_q([1, 1, 0, 0], &rr_owner(&[0xc0, 2])),
            WireError::PointerIntoHeader { offset: 19, target: 2 },
        ),
        ("label type 0x40", msg([1, 0, 0, 0], &[0x41, b'a', 0]), WireError::BadLabelType { offset: 12, byte: 0x41 }),
        ("label type 0x80", msg([1, 0, 0, 0], &[0x81, b'a', 0]), WireError::BadLabelType { offset: 12, byte: 0x81 }),
        ("name over 255", msg([1, 0, 0, 0], &long_name), WireError::NameTooLong { offset: 12 }),
        (
            "A rdata of 3",
            with_q([1, 1, 0, 0], &rr(1, &[1, 2, 3])),
            WireError::BadRdataLength { offset: 31, rtype: RType::A, len: 3 },
        ),
        (
            "AAAA rdata of 4",
            with_q([1, 1, 0, 0], &rr(28, &[1, 2, 3, 4])),
            WireError::BadRdataLength { offset: 31, rtype: RType::AAAA, len: 4 },
        ),
        (
            "RDLENGTH past the end",
            {
                let mut m = with_q([1, 1, 0, 0], &rr(1, &[1, 2, 3, 4]));
                m.truncate(m.len() - 1);
                m
            },
            WireError::Truncated { offset: 34, what: "rdata" },
        ),
        (
            "MX with extra octets",
            with_q([1, 1, 0, 0], &rr(15, &[0, 10, 0, 9])),
            WireError::TrailingRdata { offset: 31, rtype: RType::MX, rdlength: 4, extra: 1 },
        ),
        (
            "name runs past RDLENGTH",
            with_q([1, 1, 0, 0], &rr(2, &[1, b'x'])),
            WireError::Truncated { offset: 33, what: "domain name" },
        ),
        (
            "SOA cut short",
            with_q([1, 1, 0, 0], &rr(6, &[0, 0, 0, 0])),
            WireError::Truncated { offset: 35, what: "SOA serial" },
        ),
        (
            "answer count too high",
            with_q([1, 2, 0, 0], &rr(1, &[1, 2, 3, 4])),
            WireError::Truncated { offset: 35, what: "domain name" },
        ),
        ("bytes after the last record", with_q([1, 0, 0, 0], &[0xff]), WireError::TrailingBytes { extra: 1 }),
        ("two OPT records", with_q([1, 0, 0, 2], &two_opts), WireError::MultipleOpt { offset: 30 }),
        ("OPT in the answer section", with_q([1, 1, 0, 0], &opt(&[])), WireError::MisplacedOpt { offset: 19 }),
        (
            "cookie of 5 octets",
            with_q([1, 0, 0, 1], &opt(&[0, 10, 0, 5, 1, 2, 3, 4, 5])),
            WireError::BadEdnsOption { offset: 30, code: 10 },
        ),
        (
            "server cookie of 3 octets",
            with_q([1, 0, 0, 1], &opt(&[0, 10, 0, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9])),
            WireError::BadEdnsOption { offset: 30, code: 10 },
        ),
        (
            "EDE without info-code",
            with_q([1, 0, 0, 1], &opt(&[0, 15, 0, 1, 7])),
            WireError::BadEdnsOption { offset: 30, code: 15 },
        ),
        (
            "EDNS option cut",
            with_q([1, 0, 0, 1], &opt(&[0, 15, 0, 9, 0, 7])),
            WireError::Truncated { offset: 36, what: "EDNS option data" },
        ),
        (
            "NSEC bitmap window of length 0",
            with_q([1, 1, 0, 0], &rr(47, &[0, 0, 0])),
            WireError::BadBitmap { offset: 32, reason: BitmapError::WindowLength { window: 0, len: 0 } },
        ),
        (
            "NSEC bitmap windows out of order",
            with_q([1, 1, 0, 0], &rr(47, &[0, 1, 1, 0x40, 0, 1, 0x40])),
            WireError::BadBitmap { offset: 35, reason: BitmapError::WindowOrder { window: 0 } },
        ),
        (
            "NSEC3 with empty next hash",
            with_q([1, 1, 0, 0], &rr(50, &[1, 0, 0, 0, 0, 0])),
            WireError::BadRdataLength { offset: 31, rtype: RType::NSEC3, len: 6 },
        ),
        (
            "CAA with empty tag",
            with_q([1, 1, 0, 0], &rr(257, &[0, 0])),
            WireError::BadRdataLength { offset: 31, rtype: RType::CAA, len: 2 },
        ),
    ];
    for (what, bytes, want) in &cases {
        assert_eq!(Message::from_wire(bytes).as_ref().err(), Some(want), "{what}");
    }
    // Rdata on its own cannot follow a pointer.
    assert_eq!(RData::from_wire(RType::NS, &[0xc0, 0]), Err(WireError::UnexpectedPointer { offset: 0 }));
    assert!(cases.len() + 1 >= 28);
}

/// An answer whose owner is `owner` (raw octets), type A.
fn rr_owner(owner: &[u8]) -> Vec<u8> {
    let mut v = owner.to_vec();
    v.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4]);
    v
}

fn zone_err(text: &str) -> ZoneError {
    match parse_zone(text, Some(&"example.".parse().unwrap())) {
        Ok(r) => panic!("{text:?} parsed as {r:?}"),
        Err(e) => e,
    }
}

#[test]
fn malformed_text_table() {
    let l64 = "a".repeat(64);
    let l63 = "a".repeat(63);
    let long = format!("{l63}.{l63}.{l63}.{l63}.");
    let k = |line, column, kind| ZoneError { file: None, line, column, kind };
    let cases: Vec<(String, ZoneError)> = vec![
        (format!("{l64} A 192.0.2.1\n"), k(1, 1, ZoneErrorKind::BadName(NameError::LabelTooLong { len: 64 }))),
        (format!("{long} A 192.0.2.1\n"), k(1, 1, ZoneErrorKind::BadName(NameError::NameTooLong { len: 257 }))),
        ("a..b A 192.0.2.1\n".into(), k(1, 1, ZoneErrorKind::BadName(NameError::EmptyLabel { text: "a..b".into() }))),
        (
            "a\\256 A 192.0.2.1\n".into(),
            k(1, 1, ZoneErrorKind::BadName(NameError::BadEscape { text: "a\\256".into() })),
        ),
        (
            "k DNSKEY 257 3 13 abc$==\n".into(),
            k(1, 19, ZoneErrorKind::Expected { what: "public key (base64)", found: "abc$==".into() }),
        ),
        (
            "k DNSKEY 257 3 13 Zh==\n".into(),
            k(1, 19, ZoneErrorKind::Expected { what: "public key (base64)", found: "Zh==".into() }),
        ),
        ("$GENERATE 1-5 h$ A 192.0.2.$\n".into(), k(1, 1, ZoneErrorKind::UnknownDirective("$GENERATE".into()))),
        ("a A 192.0.2.1\nb SOA ( ns hm 1 2 3\n 4 5\n".into(), k(2, 7, ZoneErrorKind::UnbalancedOpen)),
        ("a A 192.0.2.1 )\n".into(), k(1, 15, ZoneErrorKind::UnbalancedClose)),
        ("t TXT \"open\n".into(), k(1, 7, ZoneErrorKind::UnterminatedQuote)),
        ("a A 192.0.2\n".into(), k(1, 5, ZoneErrorKind::Expected { what: "IPv4 address", found: "192.0.2".into() })),
        (
            "a AAAA 2001:db8::g\n".into(),
            k(1, 8, ZoneErrorKind::Expected { what: "IPv6 address", found: "2001:db8::g".into() }),
        ),
        ("a FOO 1\n".into(), k(1, 3, ZoneErrorKind::UnknownType("FOO".into()))),
        ("a TYPE65280 \\# 3 0a0000ff\n".into(), k(1, 18, ZoneErrorKind::GenericLength { declared: 3, actual: 4 })),
        (
            "a A \\# 3 0a0000\n".into(),
            k(1, 10, ZoneErrorKind::GenericRdata(WireError::BadRdataLength { offset: 0, rtype: RType::A, len: 3 })),
        ),
        ("a TYPE65280 \\# 2 0g0h\n".into(), k(1, 18, ZoneErrorKind::Expected { what: "hex", found: "0g0h".into() })),
        ("a MX 10\n".into(), k(1, 8, ZoneErrorKind::Missing { what: "domain name" })),
        ("a A 192.0.2.1 extra\n".into(), k(1, 15, ZoneErrorKind::TrailingTokens { found: "extra".into() })),
        (
            "a RRSIG A 13 2 60 2030010100000 20250101000000 1 example. AAAA\n".into(),
            k(1, 19, ZoneErrorKind::Expected { what: "expiration", found: "2030010100000".into() }),
        ),
        (
            "a RRSIG A 13 2 60 20301301000000 20250101000000 1 example. AAAA\n".into(),
            k(1, 19, ZoneErrorKind::Expected { what: "expiration", found: "20301301000000".into() }),
        ),
        (format!("t TXT \"{}\"\n", "x".repeat(256)), k(1, 7, ZoneErrorKind::StringTooLong { len: 256 })),
        (" A 192.0.2.1\n".into(), k(1, 2, ZoneErrorKind::NoOwner)),
        (
            "h NSEC3 1 0 10 xyz 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A\n".into(),
            k(1, 16, ZoneErrorKind::Expected { what: "salt (hex or -)", found: "xyz".into() }),
        ),
        (
            "h NSEC3 1 0 10 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJW A\n".into(),
            k(
                1,
                18,
                ZoneErrorKind::Expected {
                    what: "next hashed owner (base32hex)",
                    found: "2T7B4G4VSA5SMI47K61MV5BV1A22BOJW".into(),
                },
            ),
        ),
        (
            "h NSEC3 1 0 70000 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A\n".into(),
            k(1, 13, ZoneErrorKind::Expected { what: "iterations", found: "70000".into() }),
        ),
        ("n NSEC next. A BOGUS\n".into(), k(1, 16, ZoneErrorKind::UnknownType("BOGUS".into()))),
        ("a 12x A 192.0.2.1\n".into(), k(1, 3, ZoneErrorKind::Expected { what: "TTL", found: "12x".into() })),
        ("$TTL\n".into(), k(1, 5, ZoneErrorKind::Missing { what: "$TTL value" })),
        (
            "$INCLUDE /nonexistent/candor/zone.db\n".into(),
            k(
                1,
                10,
                ZoneErrorKind::Io { path: "/nonexistent/candor/zone.db".into(), kind: std::io::ErrorKind::NotFound },
            ),
        ),
        ("s SVCB 1 . alpn=\n".into(), k(1, 12, ZoneErrorKind::Expected { what: "alpn id", found: "alpn=".into() })),
        ("d DS 1 8 2 ABC\n".into(), k(1, 12, ZoneErrorKind::Expected { what: "digest (hex)", found: "ABC".into() })),
        (
            "c CAA 0 is-sue \"x\"\n".into(),
            k(1, 9, ZoneErrorKind::Expected { what: "tag (letters and digits)", found: "is-sue".into() }),
        ),
    ];
    assert!(cases.len() >= 30);
    for (text, want) in &cases {
        assert_eq!(&zone_err(text), want, "{text:?}");
    }
    // Without an origin, a relative name cannot be completed.
    assert_eq!(
        parse_zone("www A 192.0.2.1\n", None).unwrap_err().kind,
        ZoneErrorKind::BadName(NameError::Relative { text: "www".into() })
    );
    // The file name is part of the message.
    let e = ZoneError { file: Some("z.db".into()), line: 3, column: 7, kind: ZoneErrorKind::UnbalancedOpen };
    assert_eq!(e.to_string(), "z.db:3:7: unbalanced '(': no matching ')' before the end of the file");
}

// ------------------------------------------------------- shared vectors

#[test]
#[cfg_attr(not(candor_shared), ignore = "needs the shared corpora (../shared or CANDOR_SHARED)")]
fn shared_vectors_parse_and_round_trip() {
    let v = common::shared().join("vectors");
    let hints = load(&v.join("named.root"), None);
    assert_eq!(hints.iter().filter(|r| r.rtype() == RType::NS).count(), 13);
    assert_eq!(hints.iter().filter(|r| r.rtype() == RType::A).count(), 13);
    assert_eq!(hints.iter().filter(|r| r.rtype() == RType::AAAA).count(), 13);
    round_trip(&hints);

    let anchors = load(&v.join("root-anchors.txt"), None);
    let tags: Vec<u16> = anchors
        .iter()
        .filter_map(|r| match &r.data {
            RData::Ds(ds) => Some(ds.key_tag),
            _ => None,
        })
        .collect();
    assert_eq!(tags, [20326, 38696]);
    assert!(anchors.iter().all(|r| r.owner.is_root()));

    let zone = load(&v.join("rfc5155-zone.txt"), Some("example."));
    assert_eq!(zone.iter().filter(|r| r.rtype() == RType::NSEC3).count(), 12);
    assert_eq!(zone.iter().filter(|r| r.rtype() == RType::RRSIG).count(), 30);
    round_trip(&zone);

    for f in ["rfc5702.txt", "rfc6605.txt", "rfc8080.txt", "rfc4034-keytag.txt"] {
        let records = load(&v.join(f), None);
        assert!(!records.is_empty(), "{f} holds records");
        round_trip(&records);
    }
}

#[test]
#[cfg_attr(not(candor_shared), ignore = "needs the shared corpora (../shared or CANDOR_SHARED)")]
fn rfc4034_nsec_wire_example() {
    // RFC 4034 §4.3 publishes the NSEC rdata octets for
    // `alfa.example.com. NSEC host.example.com. A MX RRSIG NSEC TYPE1234`.
    let text = std::fs::read_to_string(common::shared().join("vectors/rfc4034-keytag.txt")).unwrap();
    let hex: String = text
        .lines()
        .skip_while(|l| !l.contains("RDATA wire format as published"))
        .nth(1)
        .map(|l| l.trim_start_matches(';').trim().to_owned())
        .unwrap_or_default();
    assert!(!hex.is_empty(), "the vectors file marks the NSEC rdata");
    let wire = candor_wire::text::hex_decode(&hex).unwrap();
    let rd = RData::from_wire(RType::NSEC, &wire).unwrap();
    assert_eq!(rd.to_string(), "host.example.com. A MX RRSIG NSEC TYPE1234");
    assert_eq!(rd.to_wire(), wire);
}

#[test]
#[cfg_attr(not(candor_shared), ignore = "needs the shared corpora (../shared or CANDOR_SHARED)")]
fn builtin_root_anchors_match_the_iana_file() {
    let text = std::fs::read_to_string(common::shared().join("vectors/root-anchors.txt")).unwrap();
    let mut from_file = candor_anchor::Anchors::empty();
    from_file.add_records(&parse_zone(&text, None).unwrap()).unwrap();
    let builtin = candor_anchor::Anchors::iana_root();
    assert_eq!(builtin.get(&candor_wire::Name::root()), from_file.get(&candor_wire::Name::root()));
    // The KSK-2017 DNSKEY the file gives as a comment matches its DS.
    let key_line = text
        .lines()
        .find(|l| l.contains("DNSKEY") && l.contains("257 3 8"))
        .map(|l| l.trim_start_matches([';', ' ']))
        .expect("the KSK-2017 DNSKEY comment");
    let key = parse_zone(key_line, None).unwrap().remove(0);
    let RData::Dnskey(key) = key.data else { panic!("{key_line}") };
    let root = builtin.get(&candor_wire::Name::root()).unwrap();
    assert_eq!(candor_crypto::key_tag(&key), 20326);
    assert!(root.ds.iter().any(|ds| candor_crypto::ds_matches(ds, &candor_wire::Name::root(), &key) == Ok(true)));
}

#[test]
#[cfg_attr(not(candor_shared), ignore = "needs the shared corpora (../shared or CANDOR_SHARED)")]
fn builtin_root_hints_match_named_root() {
    let file = candor_resolver::RootHints::from_file(&common::shared().join("vectors/named.root")).unwrap();
    assert_eq!(candor_resolver::RootHints::iana(), file);
}
