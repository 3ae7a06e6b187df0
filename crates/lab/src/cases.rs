//! The catalogue's cases: each case is data (the zone it builds, the
//! breakage applied after signing, the query, what a validating resolver
//! must say about it), built with the helpers of [`crate::catalog`]; the
//! key-rollover states come from [`crate::rollover`].

use candor_wire::{Algorithm, RType};

use crate::authority::Behavior;
use crate::catalog::{Breakage, Build, Case, DAY, DsSpec, KeyRole, Verdict, case, nsec3, signed};

/// Every case of the lab.
pub fn cases() -> Vec<Case> {
    use Verdict::*;
    let mut v = vec![
        // Healthy controls.
        case("valid", Secure, None, "valid", "a healthy zone signed with ECDSA P-256 (algorithm 13)"),
        case("valid-8", Secure, None, "valid", "a healthy zone signed with RSA/SHA-256 (algorithm 8)")
            .build(signed(Algorithm::RSASHA256)),
        case("valid-10", Secure, None, "valid", "a healthy zone signed with RSA/SHA-512 (algorithm 10)")
            .build(signed(Algorithm::RSASHA512)),
        case("valid-13", Secure, None, "valid", "a healthy zone signed with ECDSA P-256 (algorithm 13)"),
        case("valid-14", Secure, None, "valid", "a healthy zone signed with ECDSA P-384 (algorithm 14)")
            .build(signed(Algorithm::ECDSAP384SHA384)),
        case("valid-15", Secure, None, "valid", "a healthy zone signed with Ed25519 (algorithm 15)")
            .build(signed(Algorithm::ED25519)),
        case("valid-csk", Secure, None, "valid", "a healthy zone signed with one combined signing key")
            .build(Build::Signed { algorithm: Algorithm::ECDSAP256SHA256, csk: true, nsec3: None }),
        case(
            "short-ttl",
            Secure,
            None,
            "valid",
            "a healthy zone whose answer lives 5 s (serve-stale and prefetch tests)",
        )
        .extra("short 5 A 192.0.2.5\n")
        .q("short", RType::A),
        case("nsec-nxdomain", Secure, None, "valid", "a proven NXDOMAIN from an NSEC zone").q("nosuch", RType::A),
        case("nsec-nodata", Secure, None, "valid", "a proven NODATA from an NSEC zone").q("www", RType::MX),
        case("nsec3-nxdomain", Secure, None, "valid", "a proven NXDOMAIN from an NSEC3 zone")
            .build(nsec3(0))
            .q("nosuch", RType::A),
        case("nsec3-nodata", Secure, None, "valid", "a proven NODATA from an NSEC3 zone")
            .build(nsec3(0))
            .q("www", RType::MX),
        case("nsec3-optout", Insecure, None, "insecure-opt-out", "an unsigned child inside an NSEC3 opt-out span")
            .build(Build::Signed {
                algorithm: Algorithm::ECDSAP256SHA256,
                csk: false,
                nsec3: Some((vec![0xab], 0, true)),
            })
            .child("unsigned")
            .q("www.unsigned", RType::A),
        case(
            "unsigned",
            Insecure,
            None,
            "insecure-unsigned",
            "an unsigned zone under a signed parent that proves no DS",
        )
        .build(Build::Unsigned)
        .ds(DsSpec::None),
        case("no-ds", Insecure, None, "insecure-no-ds", "a signed zone whose parent publishes no DS (and proves it)")
            .ds(DsSpec::None),
        case("dname", Secure, None, "valid", "a signed DNAME to a secure zone; the synthesised CNAME matches it")
            .extra("redirect DNAME target.net.\n")
            .q("www.redirect", RType::A),
        case("wildcard", Secure, None, "valid", "a valid wildcard answer with its no-closer-match proof")
            .extra("*.w A 192.0.2.7\n")
            .q("anything.w", RType::A),
        // DS problems.
        case("ds-bad-tag", Bogus, Some(9), "ds-no-matching-key", "the DS key tag matches no DNSKEY in the child")
            .ds(DsSpec::BadTag),
        case("ds-bad-key-algo", Bogus, Some(9), "ds-no-matching-key", "the DS algorithm differs from the child's key")
            .ds(DsSpec::KeyAlgorithm(8)),
        case(
            "ds-unassigned-key-algo",
            Insecure,
            Some(1),
            "unsupported-algorithm",
            "the only DS names an unassigned algorithm (100)",
        )
        .ds(DsSpec::KeyAlgorithm(100)),
        case(
            "ds-reserved-key-algo",
            Insecure,
            Some(1),
            "unsupported-algorithm",
            "the only DS names a reserved algorithm (200)",
        )
        .ds(DsSpec::KeyAlgorithm(200)),
        case(
            "ds-unassigned-digest-algo",
            Insecure,
            Some(2),
            "unsupported-digest",
            "the only DS uses an unassigned digest type (100)",
        )
        .ds(DsSpec::DigestType(100)),
        case(
            "ds-bogus-digest-value",
            Bogus,
            Some(9),
            "ds-no-matching-key",
            "the DS digest matches no DNSKEY in the child",
        )
        .ds(DsSpec::BogusDigest),
        case("ds-bogus-next-to-good", Secure, None, "valid", "a wrong DS beside a right one of the same digest type")
            .ds(DsSpec::BogusNextToGood),
        case(
            "ds-unsigned-child",
            Bogus,
            Some(9),
            "ds-unsigned-zone",
            "the parent has a DS but the child is unsigned (a provider migration left a stale DS)",
        )
        .build(Build::Unsigned),
        // Signatures.
        case(
            "rrsig-exp-all",
            Bogus,
            Some(7),
            "signature-expired",
            "every signature in the zone has expired; re-sign the zone",
        )
        .brk(Breakage::Window { rtype: None, inception: -60 * DAY, expiration: -30 * DAY }),
        case(
            "rrsig-exp-soon",
            Secure,
            None,
            "valid",
            "the A RRset's signature expires in 10 hours (the expiry warning)",
        )
        .brk(Breakage::Window { rtype: Some(RType::A), inception: -DAY, expiration: 10 * 3600 }),
        case("rrsig-exp-a", Bogus, Some(7), "signature-expired", "the A RRset's signature has expired")
            .brk(Breakage::Window { rtype: Some(RType::A), inception: -60 * DAY, expiration: -30 * DAY }),
        case(
            "rrsig-not-yet-all",
            Bogus,
            Some(8),
            "signature-not-yet-valid",
            "every signature's inception is in the future",
        )
        .brk(Breakage::Window { rtype: None, inception: 10 * DAY, expiration: 40 * DAY }),
        case("rrsig-not-yet-a", Bogus, Some(8), "signature-not-yet-valid", "the A RRset's signature is not yet valid")
            .brk(Breakage::Window { rtype: Some(RType::A), inception: 10 * DAY, expiration: 40 * DAY }),
        case(
            "rrsig-exp-before-all",
            Bogus,
            Some(25),
            "signature-expiration-before-inception",
            "every signature expires before its inception",
        )
        .brk(Breakage::Window { rtype: None, inception: 10 * DAY, expiration: -10 * DAY }),
        case(
            "rrsig-exp-before-a",
            Bogus,
            Some(25),
            "signature-expiration-before-inception",
            "the A signature expires before its inception",
        )
        .brk(Breakage::Window { rtype: Some(RType::A), inception: 10 * DAY, expiration: -10 * DAY }),
        case("no-rrsig-all", Bogus, Some(10), "rrsig-missing", "the zone's RRSIGs are all missing")
            .brk(Breakage::DropRrsigs(None)),
        case("no-rrsig-a", Bogus, Some(10), "rrsig-missing", "the A RRset has no RRSIG")
            .brk(Breakage::DropRrsigs(Some(RType::A))),
        case("no-rrsig-ksk", Bogus, Some(10), "rrsig-missing", "the KSK's signature over the DNSKEY RRset is missing")
            .brk(Breakage::DropDnskeyRrsigBy(KeyRole::Ksk)),
        case("no-dnskey-rrsig", Bogus, Some(10), "rrsig-missing", "the DNSKEY RRset has no RRSIG")
            .brk(Breakage::DropRrsigs(Some(RType::DNSKEY))),
        case(
            "bad-rrsig-ksk",
            Bogus,
            Some(6),
            "signature-invalid",
            "the KSK's signature over the DNSKEY RRset does not verify",
        )
        .brk(Breakage::CorruptRrsig(RType::DNSKEY, Some(KeyRole::Ksk))),
        case(
            "bad-dnskey-rrsig",
            Bogus,
            Some(6),
            "signature-invalid",
            "the signatures over the DNSKEY RRset do not verify",
        )
        .brk(Breakage::CorruptRrsig(RType::DNSKEY, None)),
        case("bad-rrsig-a", Bogus, Some(6), "signature-invalid", "the A RRset's signature bytes are corrupted")
            .brk(Breakage::CorruptRrsig(RType::A, None)),
        // Keys.
        case("no-zsk", Bogus, Some(9), "dnskey-missing", "the ZSK that signs the data is not in the DNSKEY RRset")
            .brk(Breakage::DropKey(KeyRole::Zsk)),
        case("no-ksk", Bogus, Some(9), "ds-no-matching-key", "the KSK the DS points at is not in the DNSKEY RRset")
            .brk(Breakage::DropKey(KeyRole::Ksk)),
        case("bad-ksk", Bogus, Some(9), "ds-no-matching-key", "the KSK's public key no longer matches the DS")
            .brk(Breakage::CorruptKey(KeyRole::Ksk)),
        case("no-dnskey", Bogus, Some(9), "dnskey-missing", "the zone serves no DNSKEY RRset")
            .brk(Breakage::DropDnskeyRrset),
        case(
            "bad-zsk",
            Bogus,
            Some(6),
            "signature-invalid",
            "the ZSK's public key is corrupted, so its signatures fail",
        )
        .brk(Breakage::CorruptKey(KeyRole::Zsk)),
        case("no-dnskey-256", Bogus, Some(11), "no-zone-key-bit", "the ZSK lacks the zone-key flag (flags 0)")
            .brk(Breakage::KeyFlags(KeyRole::Zsk, 0)),
        case("no-dnskey-257", Bogus, Some(11), "no-zone-key-bit", "the KSK lacks the zone-key flag (flags 1)")
            .brk(Breakage::KeyFlags(KeyRole::Ksk, 1)),
        case("no-dnskey-256-257", Bogus, Some(11), "no-zone-key-bit", "no key has the zone-key flag")
            .brk(Breakage::KeyFlags(KeyRole::Zsk, 0))
            .brk(Breakage::KeyFlags(KeyRole::Ksk, 1)),
        // The ZSK's algorithm field no longer matches its signatures: no key
        // with that tag and algorithm signs the data (DNSKEY missing, 9).
        case(
            "bad-zsk-algo",
            Bogus,
            Some(9),
            "dnskey-missing",
            "the ZSK's algorithm field (8) differs from its signatures' (13)",
        )
        .brk(Breakage::KeyAlgorithm(KeyRole::Zsk, 8)),
        case("unassigned-zsk-algo", Bogus, Some(9), "dnskey-missing", "the ZSK's algorithm field is unassigned (100)")
            .brk(Breakage::KeyAlgorithm(KeyRole::Zsk, 100)),
        case("reserved-zsk-algo", Bogus, Some(9), "dnskey-missing", "the ZSK's algorithm field is reserved (200)")
            .brk(Breakage::KeyAlgorithm(KeyRole::Zsk, 200)),
        case(
            "revoked-ksk",
            Bogus,
            Some(9),
            "ds-no-matching-key",
            "the only KSK is revoked (RFC 5011): no usable key matches the DS",
        )
        .brk(Breakage::RevokeKsk),
        case("ed448", Secure, None, "valid", "a healthy zone signed with Ed448 (algorithm 16)")
            .build(signed(Algorithm::ED448)),
        case(
            "rsamd5",
            Insecure,
            Some(1),
            "unsupported-algorithm",
            "RSAMD5 (1): placeholder keys and signatures; unsupported",
        )
        .brk(Breakage::PlaceholderAlgorithm(1)),
        case(
            "dsa",
            Insecure,
            Some(1),
            "unsupported-algorithm",
            "DSA (3): placeholder keys and signatures; unsupported",
        )
        .brk(Breakage::PlaceholderAlgorithm(3)),
        case(
            "rsasha1",
            Insecure,
            Some(1),
            "unsupported-algorithm",
            "RSASHA1 (5): real signatures, insecure under RFC 9905",
        )
        .build(signed(Algorithm::RSASHA1)),
        // Denial.
        case(
            "bad-nsec3-hash",
            Bogus,
            Some(12),
            "nsec3-gap",
            "an NSEC3 owner hash is wrong, so the proof does not hold",
        )
        .build(nsec3(0))
        .brk(Breakage::Nsec3BadHash)
        .q("nosuch", RType::A),
        case("bad-nsec3-next", Bogus, Some(12), "nsec3-gap", "an NSEC3 next-hash field is wrong")
            .build(nsec3(0))
            .brk(Breakage::Nsec3BadNext)
            .q("nosuch", RType::A),
        case("nsec3-missing", Bogus, Some(12), "nsec-missing", "the NXDOMAIN comes without its NSEC3 records")
            .build(nsec3(0))
            .brk(Breakage::DropNsec3)
            .q("nosuch", RType::A),
        case(
            "no-nsec3param-nsec3",
            Bogus,
            Some(12),
            "nsec-missing",
            "NSEC3PARAM is published but the zone has no NSEC3 chain",
        )
        .build(nsec3(0))
        .brk(Breakage::DropNsec3)
        .q("nosuch", RType::A),
        case("bad-nsec3-rrsig", Bogus, Some(6), "signature-invalid", "the NSEC3 records' signatures do not verify")
            .build(nsec3(0))
            .brk(Breakage::CorruptNsec3Rrsigs)
            .q("nosuch", RType::A),
        case("nsec3-rrsig-missing", Bogus, Some(10), "rrsig-missing", "the NSEC3 records have no RRSIGs")
            .build(nsec3(0))
            .brk(Breakage::DropNsec3Rrsigs)
            .q("nosuch", RType::A),
        case("nsec3-gap", Bogus, Some(12), "nsec3-gap", "the NSEC3 chain has a gap where the denied name falls")
            .build(nsec3(0))
            .brk(Breakage::Nsec3Gap)
            .q("nosuch", RType::A),
        case(
            "nsec3-salt-mismatch",
            Bogus,
            Some(12),
            "nsec3-parameter-mismatch",
            "NSEC3 records of one proof disagree on salt",
        )
        .build(nsec3(0))
        // Enough names that the proof needs several NSEC3 records.
        .extra("a A 192.0.2.2\nb A 192.0.2.3\nc A 192.0.2.4\nd A 192.0.2.5\ne A 192.0.2.6\nf A 192.0.2.7\n")
        .brk(Breakage::Nsec3SaltMismatch)
        .q("nosuch", RType::A),
        case("nsec-missing", Bogus, Some(12), "nsec-missing", "the NXDOMAIN comes without its NSEC records")
            .behave(Behavior { strip_denial: true, ..Behavior::default() })
            .q("nosuch", RType::A),
        case(
            "wildcard-no-proof",
            Bogus,
            Some(12),
            "nsec-missing",
            "a wildcard answer without the proof that no closer name exists",
        )
        .behave(Behavior { strip_wildcard_proof: true, ..Behavior::default() })
        .extra("*.w A 192.0.2.7\n")
        .q("anything.w", RType::A),
        case(
            "nodata-bitmap-has-type",
            Bogus,
            Some(12),
            "nsec-bitmap-has-type",
            "a NODATA whose NSEC bitmap lists the type asked for",
        )
        .extra("www TXT \"gone\"\n")
        .brk(Breakage::DropRrset("www", RType::TXT))
        .q("www", RType::TXT),
        case(
            "bad-nsec3param-salt",
            Bogus,
            Some(12),
            "nsec-missing",
            "NSEC3PARAM names a salt no chain uses, so the server sends negative answers without proof",
        )
        .build(nsec3(0))
        .brk(Breakage::Nsec3paramBadSalt)
        .q("nosuch", RType::A),
        case(
            "nsec3param-missing",
            Bogus,
            Some(12),
            "nsec-missing",
            "NSEC3PARAM is missing, so the server finds no chain and sends no proof",
        )
        .build(nsec3(0))
        .brk(Breakage::DropNsec3param)
        .q("nosuch", RType::A),
        case(
            "bad-nsec3param-salt-positive",
            Secure,
            None,
            "valid",
            "positive answers stay secure when NSEC3PARAM is wrong",
        )
        .build(nsec3(0))
        .brk(Breakage::Nsec3paramBadSalt),
        // Reachability.
        case("allow-query-none", Servfail, Some(22), "no-reachable-authority", "the zone's server refuses every query")
            .behave(Behavior { refuse: true, ..Behavior::default() }),
        case(
            "servfail",
            Servfail,
            Some(23),
            "authority-error",
            "the zone's server answers SERVFAIL to every query (its zone failed to load)",
        )
        .behave(Behavior { servfail: true, ..Behavior::default() }),
        case(
            "not-auth",
            Servfail,
            Some(22),
            "no-reachable-authority",
            "the zone's server is lame: not authoritative, it refers back to the root (no AA)",
        )
        .behave(Behavior { no_aa: true, ..Behavior::default() }),
        case("tcp-only", Secure, None, "valid", "the server truncates every UDP answer; the data comes over TCP")
            .behave(Behavior { tcp_only: true, ..Behavior::default() }),
    ];
    let mut unreachable = case(
        "no-listener",
        Servfail,
        Some(22),
        "no-reachable-authority",
        "the delegation points at a loopback address where nothing listens",
    );
    unreachable.listening = false;
    v.push(unreachable);
    for (name, addr, what) in [
        ("glue-documentation", "192.0.2.53", "glue in a documentation prefix (192.0.2.0/24), never queried"),
        ("glue-unspecified", "0.0.0.0", "glue at the unspecified address, never queried"),
        ("glue-multicast", "224.0.0.53", "glue at a multicast address, never queried"),
    ] {
        let mut c = case(name, Servfail, Some(22), "no-reachable-authority", what);
        c.glue = Some(addr);
        c.listening = false;
        v.push(c);
    }
    for (name, offset, ede, kind, what) in [
        ("clock-ahead-1d", 31 * DAY, 7, "clock-ahead", "the resolver's clock is 1 day past the signatures' expiration"),
        (
            "clock-ahead-30d",
            60 * DAY,
            7,
            "clock-ahead",
            "the resolver's clock is 30 days past the signatures' expiration",
        ),
        ("clock-behind", -2 * DAY, 8, "clock-behind", "the resolver's clock is before the signatures' inception"),
    ] {
        v.push(case(name, Bogus, Some(ede), kind, what).clock(offset));
    }
    v.extend(attack_cases());
    v.extend(crate::rollover::rollover_cases());
    for n in [0u16, 1, 50, 51, 100, 150, 151, 500, 2500] {
        let name = format!("nsec3-iter-{n}");
        let (verdict, ede, kind) =
            if n <= 50 { (Secure, None, "valid") } else { (Insecure, Some(27), "nsec3-iterations-above-cap") };
        let what = format!("an NXDOMAIN from an NSEC3 chain with {n} iterations (cap 50)");
        v.push(case(&name, verdict, ede, kind, &what).build(nsec3(n)).q("nosuch", RType::A));
    }
    v
}

/// The attack families (see `attack.rs`): every name under each zone is a
/// fresh RRset to validate, through a wildcard.
fn attack_cases() -> Vec<Case> {
    use crate::attack::{CNAME_LINKS, cname_chain_text, deep_name};
    use Verdict::*;
    let (a, b) = ("attack-cname-a.test.", "attack-cname-b.test.");
    vec![
        case(
            "attack-keytrap",
            Bogus,
            Some(6),
            "signature-invalid",
            "KeyTrap: 128 RSA keys share one key tag and every answer carries 8 RRSIGs naming it, none valid",
        )
        .build(signed(Algorithm::RSASHA256))
        .brk(Breakage::KeyTrap { keys: 128, sigs: 8 })
        .extra("* A 192.0.2.9\n")
        .q("n1", RType::A),
        case(
            "attack-sigflood",
            Bogus,
            Some(6),
            "signature-invalid",
            "every answer carries 150 RRSIGs by the zone's key, none valid",
        )
        .brk(Breakage::SigFlood(150))
        .extra("* A 192.0.2.9\n")
        .q("n1", RType::A),
        case(
            "attack-nsec3",
            Insecure,
            Some(27),
            "nsec3-iterations-above-cap",
            "NSEC3 with 150 iterations and a 255-octet salt, asked for a 100-label name",
        )
        .build(Build::Signed {
            algorithm: Algorithm::ECDSAP256SHA256,
            csk: false,
            nsec3: Some((vec![0xa5; 255], 150, false)),
        })
        .q(&deep_name("n1", 2), RType::A),
        case(
            "attack-cname-a",
            Servfail,
            Some(0),
            "resolution-budget",
            &format!("every name starts a chain of {CNAME_LINKS} CNAMEs alternating between two signed zones"),
        )
        .extra(&cname_chain_text(true, a, b))
        .q("n1", RType::A),
        case(
            "attack-cname-b",
            Secure,
            None,
            "valid",
            "the other zone of the CNAME chain: its next-to-last link, two CNAMEs from the end, validates",
        )
        .extra(&cname_chain_text(false, a, b))
        .q(&format!("l{}", CNAME_LINKS - 1), RType::A),
    ]
}
