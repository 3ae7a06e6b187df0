//! Property tests: write → parse and print → parse are identities, and no
//! input makes the parsers panic.

use std::net::{Ipv4Addr, Ipv6Addr};

use candor_wire::text::parse_zone;
use candor_wire::{
    Algorithm, Caa, Class, Dnskey, Ds, Edns, EdnsOption, ExtendedError, Flags, Header, Hinfo, Message, Mx, Name, Naptr,
    Nsec, Nsec3, Nsec3Param, Opcode, Px, Question, RData, RType, Rcode, Record, Rrsig, Soa, Srv, Sshfp, Tlsa,
    TypeBitmap,
};
use proptest::collection::vec;
use proptest::prelude::*;

fn name() -> impl Strategy<Value = Name> {
    // Labels of any octets, including dots, blanks, backslashes and non-ASCII.
    vec(vec(any::<u8>(), 1..12), 0..6)
        .prop_map(|labels| Name::from_labels(labels.iter().map(Vec::as_slice)).expect("short enough"))
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max)
}

fn bitmap() -> impl Strategy<Value = TypeBitmap> {
    vec(prop_oneof![0u16..300, any::<u16>()], 0..8).prop_map(|t| TypeBitmap::new(t.into_iter().map(RType)))
}

fn rdata() -> impl Strategy<Value = RData> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| RData::A(Ipv4Addr::from(a))),
        any::<[u8; 16]>().prop_map(|a| RData::Aaaa(Ipv6Addr::from(a))),
        name().prop_map(RData::Ns),
        name().prop_map(RData::Cname),
        name().prop_map(RData::Dname),
        name().prop_map(RData::Ptr),
        (name(), name(), any::<[u32; 5]>()).prop_map(|(m, r, v)| RData::Soa(Soa {
            mname: m,
            rname: r,
            serial: v[0],
            refresh: v[1],
            retry: v[2],
            expire: v[3],
            minimum: v[4]
        })),
        (any::<u16>(), name()).prop_map(|(p, e)| RData::Mx(Mx { preference: p, exchange: e })),
        (any::<u16>(), name(), name()).prop_map(|(p, a, b)| RData::Px(Px { preference: p, map822: a, mapx400: b })),
        (any::<[u16; 2]>(), bytes(20), bytes(20), bytes(40), name()).prop_map(|(v, f, s, r, n)| RData::Naptr(Naptr {
            order: v[0],
            preference: v[1],
            flags: f,
            services: s,
            regexp: r,
            replacement: n
        })),
        vec(bytes(40), 1..4).prop_map(RData::Txt),
        (any::<[u16; 3]>(), name()).prop_map(|(v, t)| RData::Srv(Srv {
            priority: v[0],
            weight: v[1],
            port: v[2],
            target: t
        })),
        (bytes(20), bytes(20)).prop_map(|(cpu, os)| RData::Hinfo(Hinfo { cpu, os })),
        (any::<u16>(), any::<u8>(), any::<u8>(), bytes(48)).prop_map(|(k, a, d, g)| RData::Ds(Ds {
            key_tag: k,
            algorithm: Algorithm(a),
            digest_type: d,
            digest: g
        })),
        (any::<u16>(), any::<u8>(), any::<u8>(), bytes(80)).prop_map(|(f, p, a, k)| RData::Dnskey(Dnskey {
            flags: f,
            protocol: p,
            algorithm: Algorithm(a),
            public_key: k
        })),
        (any::<u16>(), any::<u8>(), any::<u8>(), any::<[u32; 3]>(), any::<u16>(), name(), bytes(80)).prop_map(
            |(t, a, l, v, k, s, sig)| RData::Rrsig(Rrsig {
                type_covered: RType(t),
                algorithm: Algorithm(a),
                labels: l,
                original_ttl: v[0],
                expiration: v[1],
                inception: v[2],
                key_tag: k,
                signer: s,
                signature: sig
            })
        ),
        (name(), bitmap()).prop_map(|(n, t)| RData::Nsec(Nsec { next: n, types: t })),
        (any::<u8>(), any::<u8>(), any::<u16>(), bytes(12), vec(any::<u8>(), 1..30), bitmap()).prop_map(
            |(h, f, i, s, n, t)| RData::Nsec3(Nsec3 {
                hash_algorithm: h,
                flags: f,
                iterations: i,
                salt: s,
                next_hashed: n,
                types: t
            })
        ),
        (any::<u8>(), any::<u8>(), any::<u16>(), bytes(12)).prop_map(|(h, f, i, s)| {
            RData::Nsec3param(Nsec3Param { hash_algorithm: h, flags: f, iterations: i, salt: s })
        }),
        (any::<[u8; 3]>(), bytes(40)).prop_map(|(v, d)| RData::Tlsa(Tlsa {
            usage: v[0],
            selector: v[1],
            matching_type: v[2],
            data: d
        })),
        (any::<[u8; 2]>(), bytes(40)).prop_map(|(v, d)| RData::Sshfp(Sshfp {
            algorithm: v[0],
            fp_type: v[1],
            fingerprint: d
        })),
        (any::<u8>(), "[a-z0-9]{1,15}", bytes(30)).prop_map(|(f, t, v)| RData::Caa(Caa {
            flags: f,
            tag: t.into_bytes(),
            value: v
        })),
        bytes(30).prop_map(|d| RData::from_wire(RType(65280), &d).expect("opaque")),
    ]
}

fn record() -> impl Strategy<Value = Record> {
    (name(), prop_oneof![Just(Class::IN), any::<u16>().prop_map(Class)], any::<u32>(), rdata())
        .prop_map(|(owner, class, ttl, data)| Record { owner, class, ttl, data })
}

fn edns() -> impl Strategy<Value = Edns> {
    let option = prop_oneof![
        (any::<[u8; 8]>(), prop_oneof![Just(0usize), 8usize..=32])
            .prop_map(|(c, n)| { EdnsOption::Cookie { client: c, server: vec![7; n] } }),
        (0u16..64).prop_map(EdnsOption::Padding),
        (any::<u16>(), ".{0,20}").prop_map(|(code, text)| EdnsOption::Ede(ExtendedError { code, text })),
        (16u16..1000, bytes(10)).prop_map(|(code, data)| EdnsOption::Other { code, data }),
    ];
    (any::<u16>(), any::<u8>(), any::<bool>(), 0u16..0x8000, vec(option, 0..4))
        .prop_map(|(udp_size, version, dnssec_ok, z, options)| Edns { udp_size, version, dnssec_ok, z, options })
}

fn message() -> impl Strategy<Value = Message> {
    (
        any::<u16>(),
        0u8..16,
        any::<[bool; 8]>(),
        0u16..0x1000,
        vec((name(), any::<u16>(), any::<u16>()), 0..2),
        vec(record(), 0..4),
        vec(record(), 0..4),
        vec(record(), 0..3),
        proptest::option::of(edns()),
    )
        .prop_map(|(id, opcode, f, rcode, qs, an, ns, ar, edns)| {
            let rcode = if edns.is_some() { rcode } else { rcode & 0xf };
            Message {
                header: Header {
                    id,
                    opcode: Opcode(opcode),
                    flags: Flags { qr: f[0], aa: f[1], tc: f[2], rd: f[3], ra: f[4], z: f[5], ad: f[6], cd: f[7] },
                    rcode: Rcode(rcode),
                },
                questions: qs
                    .into_iter()
                    .map(|(name, t, c)| Question { name, qtype: RType(t), qclass: Class(c) })
                    .collect(),
                // OPT is not an ordinary record: keep type 41 out of the sections.
                answers: an.into_iter().filter(|r| r.rtype() != RType::OPT).collect(),
                authority: ns.into_iter().filter(|r| r.rtype() != RType::OPT).collect(),
                additional: ar.into_iter().filter(|r| r.rtype() != RType::OPT).collect(),
                edns,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn message_write_parse_identity(m in message()) {
        let wire = m.to_wire().unwrap();
        let back = Message::from_wire(&wire).unwrap();
        // Equality of names ignores case: compression matches suffixes
        // case-insensitively, so a later name may take an earlier one's case.
        prop_assert_eq!(&back, &m);
        // The question, written first, keeps its exact case (0x20 clients need it).
        for (a, b) in back.questions.iter().zip(&m.questions).take(1) {
            prop_assert_eq!(a.name.as_wire(), b.name.as_wire());
        }
    }

    #[test]
    fn record_print_parse_identity(r in record()) {
        let text = format!("{r}\n");
        let back = parse_zone(&text, None).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(back.len(), 1);
        prop_assert_eq!(&back[0], &r);
        prop_assert_eq!(back[0].owner.as_wire(), r.owner.as_wire());
    }

    #[test]
    fn rdata_wire_identity(r in rdata()) {
        prop_assert_eq!(RData::from_wire(r.rtype(), &r.to_wire()).unwrap(), r);
    }

    #[test]
    fn name_text_identity(n in name()) {
        let back: Name = n.to_string().parse().unwrap();
        prop_assert_eq!(back.as_wire(), n.as_wire());
    }

    #[test]
    fn canonical_order_matches_label_comparison(a in name(), b in name()) {
        // Canonical order compares lowercased labels from the right.
        let key = |n: &Name| {
            let mut l: Vec<Vec<u8>> = n.labels().map(|l| l.to_ascii_lowercase()).collect();
            l.reverse();
            l
        };
        prop_assert_eq!(a.cmp(&b), key(&a).cmp(&key(&b)));
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in bytes(600)) {
        let _ = Message::from_wire(&b);
        for t in [1u16, 2, 6, 15, 16, 43, 46, 47, 48, 50, 51, 257, 64] {
            let _ = RData::from_wire(RType(t), &b);
        }
    }

    #[test]
    fn mutated_messages_never_panic(m in message(), flips in vec((any::<usize>(), any::<u8>()), 1..6)) {
        let mut wire = m.to_wire().unwrap();
        for (at, v) in flips {
            let len = wire.len();
            wire[at % len] ^= v;
        }
        if let Ok(parsed) = Message::from_wire(&wire) {
            // Whatever parses must write and parse again.
            if let Ok(again) = parsed.to_wire() {
                prop_assert_eq!(Message::from_wire(&again).unwrap(), parsed);
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(s in "[ -~\\n\\t();\"\\\\$@]{0,200}") {
        let _ = parse_zone(&s, Some(&"example.".parse().unwrap()));
    }
}

#[test]
fn naptr_and_px_names_are_lowercased_in_canonical_form_only() {
    let recs = parse_zone(
        "e.example. 300 IN NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _SIP._udp.Example.\ne.example. 300 IN PX 10 Net2.IT. PRMD-net2.ADMD-p400.C-IT.\n",
        None,
    )
    .unwrap();
    let naptr = &recs[0].data;
    assert_eq!(naptr.to_string(), "100 10 \"S\" \"SIP+D2U\" \"\" _SIP._udp.Example.");
    let plain = naptr.to_wire();
    let canonical = naptr.to_canonical();
    assert_ne!(plain, canonical);
    assert!(canonical.windows(4).any(|w| w == b"_sip"), "lowercased: {canonical:?}");
    assert!(plain.windows(4).any(|w| w == b"_SIP"), "case kept: {plain:?}");
    assert_eq!(RData::from_wire(RType::NAPTR, &plain).unwrap(), *naptr);
    let px = &recs[1].data;
    assert_eq!(px.to_string(), "10 Net2.IT. PRMD-net2.ADMD-p400.C-IT.");
    assert!(px.to_canonical().windows(4).any(|w| w == b"net2"));
    // A PX whose second name is missing does not parse.
    assert!(RData::from_wire(RType::PX, &[0, 10, 0]).is_err());
}
