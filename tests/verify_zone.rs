//! `candor verify-zone` on the lab's zone files and on a zone signed by
//! BIND's `dnssec-signzone`: healthy zones pass; every signature, key,
//! DS and denial breakage the lab builds into a zone file is rejected
//! with a finding of the kind that breakage calls for.

use std::path::{Path, PathBuf};
use std::process::Command;

use candor_lab::{Breakage, Build, DsSpec, KeyRole, Rollover, cases};

fn candor() -> Command {
    Command::new(env!("CARGO_BIN_EXE_candor"))
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("candor-verify-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn verify(file: &Path, origin: &str, extra: &[&str]) -> (Option<i32>, String) {
    let out = candor().arg("verify-zone").arg(file).args(["--origin", origin]).args(extra).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The finding a breakage must produce (an error unless noted); none for
/// the rollover states done right.
fn expected_kind(b: &Breakage) -> Option<&'static str> {
    Some(match b {
        Breakage::Window { inception, expiration, .. } if expiration < inception => {
            "signature-expiration-before-inception"
        }
        Breakage::Window { inception, .. } if *inception > 0 => "signature-not-yet-valid",
        // Valid now, ending within the week: a warning (rrsig-exp-soon).
        Breakage::Window { expiration, .. } if *expiration > 0 => "signature-expiring",
        Breakage::Window { .. } => "signature-expired",
        Breakage::DropRrsigs(_) | Breakage::DropDnskeyRrsigBy(_) | Breakage::DropNsec3Rrsigs => "rrsig-missing",
        Breakage::CorruptRrsig(..) | Breakage::CorruptNsec3Rrsigs | Breakage::CorruptKey(_) => "signature-invalid",
        Breakage::KeyTrap { .. } | Breakage::SigFlood(_) => "signature-invalid",
        // Without its KSK the zone is consistent on its own; the DS shows it.
        Breakage::DropKey(KeyRole::Ksk) => "ds-no-matching-key",
        Breakage::DropKey(KeyRole::Zsk) | Breakage::DropDnskeyRrset | Breakage::KeyAlgorithm(..) => "dnskey-missing",
        Breakage::RevokeKsk => "dnskey-missing",
        Breakage::KeyFlags(..) => "no-zone-key-bit",
        Breakage::Nsec3BadHash | Breakage::Nsec3BadNext | Breakage::Nsec3Gap => "nsec3-gap",
        Breakage::DropNsec3 => "nsec-missing",
        Breakage::Nsec3SaltMismatch => "nsec3-parameter-mismatch",
        Breakage::DropNsec3param => "nsec3param-missing",
        Breakage::Nsec3paramBadSalt => "nsec3param-mismatch",
        Breakage::DropRrset(..) => "nsec-bitmap-has-type",
        Breakage::PlaceholderAlgorithm(_) => "unsupported-algorithm",
        // The zone serves the new KSK only; the parent's DS names the old.
        Breakage::Rollover(Rollover::KskRemovedEarly) => "ds-no-matching-key",
        // RFC 4035 §2.2: every algorithm of the DNSKEY RRset signs every RRset.
        Breakage::Rollover(Rollover::AlgorithmTooEarly) => "rrsig-missing",
        Breakage::Rollover(_) => return None,
    })
}

#[test]
fn lab_zones_pass_and_each_breakage_is_named() {
    let out = temp_dir("lab");
    let o = candor().args(["lab", "--out"]).arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The parent's DS for each case zone, as a registrar would hold it.
    let parent = std::fs::read_to_string(out.join("zones/test.zone")).unwrap();
    let (mut healthy, mut broken) = (0, 0);
    let mut wrong = Vec::new();
    for case in cases() {
        let Build::Signed { algorithm, .. } = &case.build else { continue };
        let origin = format!("{}.test.", case.name);
        let file = out.join("zones").join(format!("{}.test.zone", case.name));
        let ds: String = parent
            .lines()
            .filter(|l| l.starts_with(&origin) && l.contains("\tDS\t"))
            .map(|l| format!("{l}\n"))
            .collect();
        let ds_file = out.join(format!("{}.ds", case.name));
        std::fs::write(&ds_file, &ds).unwrap();
        let ds_arg = ds_file.to_str().unwrap();
        let (code, text) =
            if ds.is_empty() { verify(&file, &origin, &[]) } else { verify(&file, &origin, &["--ds", ds_arg]) };
        let mut expected: Vec<(&str, i32)> = case
            .breakage
            .iter()
            .filter_map(|b| {
                let kind = expected_kind(b)?;
                Some((kind, if matches!(kind, "unsupported-algorithm" | "signature-expiring") { 1 } else { 2 }))
            })
            .collect();
        if algorithm.0 == 5 {
            expected.push(("deprecated-algorithm", 1));
        }
        match case.ds {
            DsSpec::Good | DsSpec::None | DsSpec::BogusNextToGood => {}
            DsSpec::DigestType(_) => expected.push(("unsupported-digest", 1)),
            _ => expected.push(("ds-no-matching-key", 2)),
        }
        if expected.is_empty() {
            healthy += 1;
            if code != Some(0) {
                wrong.push(format!("{origin}: healthy, but exit {code:?}:\n{text}"));
            }
            continue;
        }
        broken += 1;
        let exit = expected.iter().map(|(_, e)| *e).max().unwrap();
        for (kind, level_exit) in &expected {
            let level = if *level_exit == 2 { "error" } else { "warning" };
            if code != Some(exit) || !text.lines().any(|l| l.starts_with(&format!("{level}: {kind}: "))) {
                wrong.push(format!("{origin}: expected {level} {kind} (exit {exit}), got exit {code:?}:\n{text}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(healthy >= 20 && broken >= 40, "{healthy} healthy and {broken} broken zones checked");

    // The unsigned child whose parent still has a DS, and the JSON form.
    let (code, text) = verify(&out.join("zones/ds-unsigned-child.test.zone"), "ds-unsigned-child.test.", &["--json"]);
    assert_eq!(code, Some(2));
    assert!(text.contains("\"verdict\":\"broken\"") && text.contains("\"kind\":\"unsigned\""), "{text}");
    // Expiry monitoring: the lab's signatures run 30 days.
    let valid = out.join("zones/valid.test.zone");
    let (code, text) = verify(&valid, "valid.test.", &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("info: earliest-expiry: the earliest RRSIG expiry is"), "{text}");
    let (code, text) = verify(&valid, "valid.test.", &["--warn-days", "40"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("warning: signature-expiring:"), "{text}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn usage_and_unreadable_input() {
    let dir = temp_dir("usage");
    let zone = dir.join("z.zone");
    std::fs::write(&zone, "@ 300 IN SOA ns h 1 2 3 4 5\n@ 300 IN NS ns\nns 300 IN A 192.0.2.1\n").unwrap();
    assert_eq!(verify(&zone, "a..b", &[]).0, Some(64));
    assert_eq!(verify(&zone, "z.example.", &["--now", "soon"]).0, Some(64));
    assert_eq!(verify(&zone, "z.example.", &["--ds", "/nonexistent"]).0, Some(64));
    let (code, text) = verify(&zone, "z.example.", &[]);
    assert_eq!(code, Some(2));
    assert!(text.contains("error: unsigned:"), "{text}");
    std::fs::write(&zone, "@ 300 IN SOA ns h 1 2 3 4\n").unwrap();
    let out = candor().arg("verify-zone").arg(&zone).args(["--origin", "z.example."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("z.zone"), "names the file");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dnssec-keygen and dnssec-signzone (bind9-utils)")]
fn a_zone_signed_by_bind_passes_and_an_edit_fails() {
    let dir = temp_dir("bind");
    let zone = "\
$TTL 300
@ IN SOA ns1 hostmaster 2026112401 3600 900 604800 300
@ IN NS ns1
ns1 IN A 192.0.2.53
www IN A 192.0.2.80
mail IN MX 10 www
sub IN NS ns.sub
ns.sub IN A 192.0.2.99
a.b.c IN TXT \"deep, with empty non-terminals\"
";
    for nsec3 in [false, true] {
        let run = |cmd: &mut Command| {
            let o = cmd.current_dir(&dir).output().unwrap();
            assert!(o.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).trim().to_owned()
        };
        let ksk = run(Command::new("dnssec-keygen")
            .args(["-q", "-a", "ECDSAP256SHA256", "-f", "KSK", "-K", "."])
            .arg("example."));
        let zsk = run(Command::new("dnssec-keygen").args(["-q", "-a", "ECDSAP256SHA256", "-K", "."]).arg("example."));
        std::fs::write(dir.join("db.example"), format!("{zone}$INCLUDE {ksk}.key\n$INCLUDE {zsk}.key\n")).unwrap();
        let mut sign = Command::new("dnssec-signzone");
        sign.args(["-q", "-o", "example.", "-f", "db.signed", "-K", "."]);
        if nsec3 {
            sign.args(["-3", "-", "-H", "0"]);
        }
        run(sign.arg("db.example"));
        let signed = dir.join("db.signed");
        let (code, text) = verify(&signed, "example.", &[]);
        assert_eq!(code, Some(0), "nsec3={nsec3}: {text}");
        // dnssec-signzone writes dsset-example. beside it: the DS matches.
        let (code, text) = verify(&signed, "example.", &["--ds", dir.join("dsset-example.").to_str().unwrap()]);
        assert_eq!(code, Some(0), "nsec3={nsec3}: {text}");
        // One edited A record: its signature no longer verifies.
        let edited = std::fs::read_to_string(&signed).unwrap().replace("192.0.2.80", "192.0.2.81");
        std::fs::write(dir.join("db.edited"), edited).unwrap();
        let (code, text) = verify(&dir.join("db.edited"), "example.", &[]);
        assert_eq!(code, Some(2), "{text}");
        assert!(
            text.lines().any(|l| l.starts_with("error: signature-invalid:") && l.contains("www.example./A")),
            "{text}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
