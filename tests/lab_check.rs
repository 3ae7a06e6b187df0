//! `candor lab check` against resolvers pointed at a served lab: candor
//! itself with an empty allow-file and the strictest comparison (on the
//! lab's clock and on a shifted one), its report formats and its refusals;
//! the configurations `candor lab --out` writes for other resolvers,
//! passed by each one's checker; and, as root with the lab on port 53
//! (which Unbound, Knot Resolver and PowerDNS Recursor need), those three
//! started from their configurations and checked with their allow-files.
//! BIND named's run is in tests/lab.rs. Everything stays on loopback.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{Guard, dig, free_port, scratch, serve_over_lab, start_lab, wait_for};

fn candor() -> Command {
    Command::new(env!("CARGO_BIN_EXE_candor"))
}

/// `candor lab check --lab DIR ARGS`: exit code and standard output + error.
fn check(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let o: Output = candor().args(["lab", "check", "--lab"]).arg(dir).args(args).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    (o.status.code(), text)
}

/// The report's last line, `lab check of ...: N ok, N wrong, ...`.
fn summary(report: &str) -> &str {
    report.lines().rfind(|l| l.starts_with("lab check of ")).unwrap_or_default()
}

/// The table row of `case`.
fn row<'a>(report: &'a str, case: &str) -> Option<&'a str> {
    report.lines().find(|l| l.split_whitespace().next() == Some(case))
}

fn ok_count(report: &str) -> usize {
    summary(report).split(": ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig")]
fn candor_serve_passes_every_case_with_an_empty_allow_file_and_the_check_can_fail() {
    let dir = scratch("check-candor");
    let (lab_port, port) = (free_port(), free_port());
    let lab_time = now();
    let _lab = start_lab(&dir, "127.85.0.0", lab_port);
    let serve = |port: u16, extra: &[&str]| {
        Guard(
            serve_over_lab(&dir, lab_port)
                .args(["--no-cache-state", "--listen", &format!("127.0.0.1:{port}"), "--control"])
                .arg(dir.join(format!("control-{port}.sock")))
                .args(extra)
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let _serve = serve(port, &[]);
    wait_for("candor serve", || dig(port, &["valid.test.", "A"]).contains("status: NOERROR"));
    let server = format!("127.0.0.1:{port}");
    let empty = dir.join("empty.allow");
    std::fs::write(&empty, "").unwrap();
    let empty = empty.to_str().unwrap();

    // Every case on the lab's clock, the extra-texts' evidence included;
    // candor refuses the special-purpose glue, so those are asked too.
    let (code, report) =
        check(&dir, &["--server", &server, "--compare", "evidence", "--offnet-glue", "--allow", empty]);
    assert_eq!(code, Some(0), "{report}");
    assert!(summary(&report).ends_with(" 0 wrong, 0 allowed, 3 skipped"), "{report}");
    assert!(ok_count(&report) >= 100, "{report}");
    assert!(
        row(&report, "roll-ksk-removed-early").is_some_and(|r| r.contains(" bogus/9 ") && r.contains(" SERVFAIL/9,6"))
    );
    // Without --offnet-glue those three are skipped, and say why.
    let (code, report) = check(&dir, &["--server", &server, "--cases", "glue-*"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(summary(&report).ends_with(" 0 ok, 0 wrong, 0 allowed, 3 skipped"), "{report}");
    assert!(report.contains("skipped: its delegation's glue is 192.0.2.53, outside loopback"), "{report}");

    // The check fails where the resolver does not do what the catalogue
    // says: candor serve does not harden against algorithm downgrades...
    let (code, report) =
        check(&dir, &["--server", &server, "--cases", "roll-algo-*", "--harden-algo-downgrade", "--allow", empty]);
    assert_eq!(code, Some(1), "{report}");
    assert!(summary(&report).ends_with(" 1 ok, 1 wrong, 0 allowed, 0 skipped"), "{report}");
    assert!(report.contains("wrong: NOERROR with AD instead of SERVFAIL"), "{report}");
    // ... which an allow-file can accept, with its reason.
    let allow = dir.join("policy.allow");
    std::fs::write(&allow, "# ours\nroll-algo-too-*  this candor runs without harden-algo-downgrade\n").unwrap();
    let (code, report) = check(
        &dir,
        &["--server", &server, "--cases", "roll-algo-*", "--harden-algo-downgrade", "--allow", allow.to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{report}");
    assert!(summary(&report).ends_with(" 1 ok, 0 wrong, 1 allowed, 0 skipped"), "{report}");
    assert!(report.contains("allowed: this candor runs without harden-algo-downgrade"), "{report}");

    // Formats for CI systems.
    let (code, tap) = check(&dir, &["--server", &server, "--cases", "valid,roll-*", "--format", "tap"]);
    assert_eq!(code, Some(0), "{tap}");
    assert!(tap.starts_with("TAP version 13\n1..9\nok 1 - valid\n"), "{tap}");
    assert!(tap.contains("ok 6 - roll-ksk-removed-early\n"), "{tap}");
    let (code, json) = check(&dir, &["--server", &server, "--cases", "rrsig-exp-a,clock-behind", "--format", "json"]);
    assert_eq!(code, Some(0), "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["ok"], 1);
    assert_eq!(v["summary"]["skipped"], 1);
    assert_eq!(v["cases"][0]["got"]["rcode"], "SERVFAIL");
    assert_eq!(v["cases"][0]["got"]["ede"][0]["code"], 7);
    assert_eq!(v["cases"][1]["result"], "skipped");
    let (code, junit) = check(&dir, &["--server", &server, "--cases", "valid,clock-behind", "--format", "junit"]);
    assert_eq!(code, Some(0), "{junit}");
    assert!(junit.contains("tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"1\""), "{junit}");
    assert!(
        junit.contains("<testcase classname=\"lab\" name=\"clock-behind\"><skipped message=\"needs the"),
        "{junit}"
    );

    // A resolver whose clock runs 31 days ahead of the lab: the case that
    // needs it is asked when --clock-offset says so, the others skipped.
    let ahead = (lab_time + 31 * 86_400).to_string();
    // Its port is picked now, not at the start: the resolvers of the other
    // tests send from random ports meanwhile, and one took it once (CI).
    let shifted = free_port();
    let _shifted = serve(shifted, &["--now", &ahead]);
    wait_for("the shifted candor", || dig(shifted, &["valid.test.", "A"]).contains("status: SERVFAIL"));
    let (code, report) = check(
        &dir,
        &["--server", &format!("127.0.0.1:{shifted}"), "--cases", "clock-*,valid", "--clock-offset", "2678400"],
    );
    assert_eq!(code, Some(0), "{report}");
    assert!(summary(&report).ends_with(" 1 ok, 0 wrong, 0 allowed, 3 skipped"), "{report}");
    assert!(
        row(&report, "clock-ahead-1d").is_some_and(|r| r.contains(" SERVFAIL/7") && r.contains(" OK ")),
        "{report}"
    );

    // Bad input: a clear error and exit 64, or 1 for a silent server.
    std::fs::write(&allow, "rsasha1\n").unwrap();
    let (code, text) = check(&dir, &["--server", &server, "--allow", allow.to_str().unwrap()]);
    assert_eq!(code, Some(64), "{text}");
    assert!(text.contains("policy.allow:1: rsasha1: an accepted difference needs a reason"), "{text}");
    let (code, text) = check(&dir.join("nowhere"), &["--server", &server]);
    assert_eq!(code, Some(64), "{text}");
    assert!(text.contains("nowhere/cases.tsv: entity not found") || text.contains("nowhere/cases.tsv"), "{text}");
    let (code, text) = check(&dir, &["--server", &server, "--cases", "no-such-*"]);
    assert_eq!(code, Some(64), "{text}");
    let (code, text) = check(&dir, &["--server", "127.0.0.1:9", "--timeout", "1"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("127.0.0.1:9 does not answer"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Write the lab's files (not served) with resolvers listening on `listen`.
fn write_lab(dir: &Path, port: u16, block: &str, listen: u16) {
    let o = candor()
        .args(["lab", "--port", &port.to_string(), "--block", block, "--resolver-listen"])
        .arg(format!("127.0.0.1:{listen}"))
        .arg("--out")
        .arg(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn spawn_resolver(name: &str, dir: &Path) -> Guard {
    let r = dir.join("resolvers");
    let mut cmd = match name {
        "unbound" => {
            let mut c = Command::new("unbound");
            c.arg("-d").arg("-c").arg(r.join("unbound.conf"));
            c
        }
        "kresd" => {
            let run = r.join("kresd");
            assert!(run.is_dir(), "the lab writes kresd's run directory");
            let mut c = Command::new("kresd");
            c.arg("-n").arg("-c").arg(r.join("kresd.conf")).arg(run);
            c
        }
        "recursor" => {
            let mut c = Command::new("pdns_recursor");
            c.arg(format!("--config-dir={}", r.display()))
                .arg(format!("--socket-dir={}", r.display()))
                .arg("--daemon=no");
            c
        }
        _ => unreachable!("{name}"),
    };
    Guard(cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap())
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs unbound-checkconf, named-checkconf, kresd, pdns_recursor and dig")]
fn the_written_configurations_pass_each_resolvers_checker_and_start() {
    let dir = scratch("check-configs");
    let listen = free_port();
    write_lab(&dir, 5353, "127.86.0.0", listen);
    let r = dir.join("resolvers");
    for f in ["unbound.conf", "named.conf", "kresd.conf", "recursor.conf", "recursor.lua"] {
        let text = std::fs::read_to_string(r.join(f)).unwrap();
        assert!(text.contains(&dir.join("root.hints").display().to_string()) || f == "recursor.lua", "{f}: {text}");
    }
    // The port-53-only resolvers say so where the lab is on another port.
    let unbound = std::fs::read_to_string(r.join("unbound.conf")).unwrap();
    assert!(unbound.contains("queries authorities on port 53 only, and this lab was written for\n# port 5353"));
    for (tool, args) in [
        ("unbound-checkconf", vec![r.join("unbound.conf").display().to_string()]),
        ("named-checkconf", vec![r.join("named.conf").display().to_string()]),
        ("pdns_recursor", vec![format!("--config-dir={}", r.display()), "--config=check".to_owned()]),
    ] {
        let o = Command::new(tool).args(&args).output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert!(o.status.success(), "{tool} {args:?}: {text}");
    }
    // Each one starts from its file and answers on the address given (a
    // name it answers itself, or SERVFAIL: this lab is not served).
    for name in ["unbound", "kresd", "recursor"] {
        let _r = spawn_resolver(name, &dir);
        wait_for(name, || dig(listen, &["+time=1", "localhost.", "A"]).contains("status: "));
    }
    for (resolver, cases) in candor_lab::DIFFERENCES {
        let text = std::fs::read_to_string(r.join(format!("{resolver}.allow"))).unwrap();
        assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), cases.len(), "{resolver}.allow");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs unbound, kresd, pdns_recursor and dig")]
fn unbound_knot_and_powerdns_pass_the_check_with_their_allow_files_over_a_lab_on_port_53() {
    let root = String::from_utf8_lossy(&Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0";
    if !root {
        eprintln!(
            "NOT RUN: Unbound, Knot Resolver and PowerDNS Recursor query authorities on port 53 only; \
             serving the lab there needs root"
        );
        return;
    }
    let dir = scratch("check-others");
    let listen = free_port();
    let _lab = Guard(
        candor()
            .args(["lab", "--serve", "--port", "53", "--block", "127.87.0.0", "--resolver-listen"])
            .arg(format!("127.0.0.1:{listen}"))
            .arg("--out")
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for("the lab on port 53", || {
        let o = Command::new("dig").args(["@127.87.0.1", "+time=1", "+tries=1", "+norec", ".", "SOA"]).output();
        o.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("status: NOERROR"))
    });
    let mut failed = Vec::new();
    for name in ["unbound", "kresd", "recursor"] {
        let _r = spawn_resolver(name, &dir);
        wait_for(name, || dig(listen, &["+time=2", "valid.test.", "A"]).contains("status: NOERROR"));
        let allow = dir.join(format!("resolvers/{name}.allow"));
        let (code, report) = check(
            &dir,
            // (Unbound may take over 20 s to give up on an unreachable zone.)
            &[
                "--server",
                &format!("127.0.0.1:{listen}"),
                "--compare",
                "verdict",
                "--timeout",
                "60",
                "--allow",
                allow.to_str().unwrap(),
            ],
        );
        let listed = candor_lab::DIFFERENCES.iter().find(|(r, _)| *r == name).map_or(0, |(_, c)| c.len());
        // Every listed difference occurs; nothing else differs.
        if code != Some(0) || !summary(&report).ends_with(&format!(" 0 wrong, {listed} allowed, 6 skipped")) {
            failed.push(format!("{name}:\n{report}"));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
