//! The broken-zone lab against real tools: BIND's `dnssec-verify` and
//! ldns's `ldns-verify-zone` on the zone files `candor lab --out` writes,
//! `dig` against `candor lab --serve` run as an unprivileged user, and BIND
//! as a validating resolver over the whole catalogue, started from the
//! configuration the lab writes and checked with `candor lab check`. Everything stays on
//! loopback: each test takes its own 127.x block and a free high port.

use std::net::{Ipv4Addr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use candor_lab::{Build, cases};

fn candor() -> Command {
    Command::new(env!("CARGO_BIN_EXE_candor"))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("candor-lab-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A free UDP port on loopback (also used for TCP; the race is harmless here).
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn is_root() -> bool {
    String::from_utf8_lossy(&run(Command::new("id").arg("-u")).stdout).trim() == "0"
}

/// A child process killed when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn dig(server: Ipv4Addr, port: u16, args: &[&str]) -> String {
    let out = run(Command::new("dig").arg(format!("@{server}")).args(["-p", &port.to_string()]).args(args));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether dig's output `r` has the record `owner ttl IN rtype rdata`
/// (however dig spaces its columns).
fn has_rr(r: &str, owner: &str, ttl: u32, rtype: &str, rdata: &str) -> bool {
    let ttl = ttl.to_string();
    r.lines().filter(|l| !l.starts_with(';')).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() >= 5 && f[0] == owner && f[1] == ttl && f[2] == "IN" && f[3] == rtype && f[4..].join(" ") == rdata
    })
}

/// Start `candor lab --serve` (as `nobody` when we are root) and wait until
/// the root server answers.
fn serve_lab(out: &Path, block: Ipv4Addr, port: u16, extra: &[&str]) -> Guard {
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(env!("CARGO_BIN_EXE_candor"));
        c
    } else {
        candor()
    };
    cmd.args(["lab", "--serve", "--port", &port.to_string(), "--block", &block.to_string(), "--out"])
        .arg(out)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let guard = Guard(cmd.spawn().expect("spawn candor lab"));
    let root = Ipv4Addr::from(u32::from(block) + 1);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if dig(root, port, &["+norec", "+time=1", "+tries=1", ".", "SOA"]).contains("status: NOERROR") {
            return guard;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("the lab did not come up on {block}:{port}");
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig, delv, kdig, dnssec-verify, named, ldns-verify-zone and setpriv")]
fn zone_files_pass_and_fail_the_real_verifiers() {
    let out = temp_dir("files");
    let o = run(candor().args(["lab", "--out"]).arg(&out));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["root.hints", "root.key", "root.anchors.conf", "cases.tsv", "zones/root.zone"] {
        assert!(out.join(f).is_file(), "{f} written");
    }
    let tsv = std::fs::read_to_string(out.join("cases.tsv")).unwrap();
    // Every case of the lab (the catalogue's and the ones the lab adds: a
    // two CNAME chains across zones, the LAN zone), once, under a header.
    let lab = candor_lab::Lab::build(candor_lab::LabConfig::new(1_800_000_000)).unwrap();
    let listed: Vec<&str> = tsv.lines().skip(1).filter_map(|l| l.split('\t').next()).collect();
    let mut names: Vec<&str> = lab.cases.iter().map(|(c, _)| c.name.as_str()).collect();
    names.sort_unstable();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, names, "cases.tsv lists every case of the lab once");
    assert!(cases().len() < lab.cases.len(), "the lab adds its own cases to the catalogue's");
    assert!(tsv.contains("rrsig-exp-all\trrsig-exp-all.test.\tA\tbogus\t7\tsignature-expired\t"));

    let mut healthy = 0;
    for case in cases() {
        let file = out.join("zones").join(format!("{}.test.zone", case.name));
        let origin = format!("{}.test.", case.name);
        let Build::Signed { csk, nsec3, .. } = &case.build else { continue };
        if case.breakage.is_empty() {
            // BIND 9.18's verifier refuses NSEC3 iterations above 150 (its
            // RFC 9276 limit); ldns checks those zones.
            let iterations = nsec3.as_ref().map_or(0, |n| n.1);
            if iterations <= 150 {
                let mut cmd = Command::new("dnssec-verify");
                cmd.args(["-q", "-o", &origin]);
                if *csk {
                    cmd.arg("-z");
                }
                let o = run(cmd.arg(&file));
                assert!(o.status.success(), "dnssec-verify {origin}: {}", String::from_utf8_lossy(&o.stderr));
            }
            let o = run(Command::new("ldns-verify-zone").arg(&file));
            assert!(o.status.success(), "ldns-verify-zone {origin}: {}", String::from_utf8_lossy(&o.stdout));
            healthy += 1;
        }
        let breaks_signatures = [
            "rrsig-exp-all",
            "rrsig-exp-a",
            "rrsig-not-yet-all",
            "rrsig-not-yet-a",
            "rrsig-exp-before-all",
            "rrsig-exp-before-a",
            "bad-rrsig-a",
            "bad-dnskey-rrsig",
            "no-rrsig-all",
            "no-rrsig-a",
            "no-dnskey-rrsig",
        ];
        if breaks_signatures.contains(&case.name.as_str()) {
            let o = run(Command::new("ldns-verify-zone").arg(&file));
            assert!(!o.status.success(), "ldns-verify-zone must reject {origin}");
        }
    }
    assert!(healthy >= 20, "{healthy} healthy zones verified");
    for z in ["root.zone", "test.zone", "com.zone", "net.zone"] {
        let o = run(Command::new("ldns-verify-zone").arg(out.join("zones").join(z)));
        assert!(o.status.success(), "{z}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig, delv, kdig, dnssec-verify, named, ldns-verify-zone and setpriv")]
fn served_lab_answers_dig_as_an_unprivileged_user() {
    let out = temp_dir("serve");
    // The unprivileged user writes here.
    let _ = run(Command::new("chmod").args(["0777"]).arg(&out));
    let port = free_port();
    let block = Ipv4Addr::new(127, 55, 0, 0);
    let _lab = serve_lab(&out, block, port, &[]);
    let root = Ipv4Addr::new(127, 55, 0, 1);
    let test_tld = Ipv4Addr::new(127, 55, 0, 2);
    // The root refers to test. with a signed DS and glue.
    let r = dig(root, port, &["+dnssec", "+norec", "valid.test.", "A"]);
    assert!(r.contains("status: NOERROR") && !r.contains(" aa"), "{r}");
    assert!(has_rr(&r, "test.", 86_400, "NS", "ns.test."), "{r}");
    assert!(r.contains("IN\tDS\t") && r.contains("RRSIG\tDS 13 1"), "{r}");
    assert!(has_rr(&r, "ns.test.", 86_400, "A", "127.55.0.2"), "{r}");
    // test. refers to the case zone; find its address in the glue.
    let r = dig(test_tld, port, &["+dnssec", "+norec", "valid.test.", "A"]);
    let addr: Ipv4Addr = r
        .lines()
        .find(|l| l.starts_with("ns.valid.test."))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("glue for valid.test.: {r}"));
    let r = dig(addr, port, &["+dnssec", "+norec", "valid.test.", "A"]);
    assert!(r.contains(" aa") && r.contains("valid.test.\t\t300\tIN\tA\t192.0.2.1"), "{r}");
    assert!(r.contains("RRSIG\tA 13 2 300"), "{r}");
    let r = dig(addr, port, &["+dnssec", "+norec", "nosuch.valid.test.", "A"]);
    assert!(r.contains("status: NXDOMAIN") && r.contains("IN\tNSEC\t") && r.contains("RRSIG\tNSEC 13"), "{r}");
    let r = dig(addr, port, &["+dnssec", "+norec", "www.valid.test.", "MX"]);
    assert!(
        r.contains("status: NOERROR") && r.contains("www.valid.test.\t\t300\tIN\tNSEC\tvalid.test. A RRSIG NSEC"),
        "{r}"
    );
    // Without DO: no RRSIGs, no denial records.
    let r = dig(addr, port, &["+norec", "nosuch.valid.test.", "A"]);
    assert!(r.contains("status: NXDOMAIN") && !r.contains("NSEC") && !r.contains("RRSIG"), "{r}");
    // An NSEC3 zone, found through test.'s referral.
    let glue = |zone: &str| -> Ipv4Addr {
        let r = dig(test_tld, port, &["+norec", zone, "A"]);
        r.lines()
            .find(|l| l.starts_with(&format!("ns.{zone}")))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("glue for {zone}: {r}"))
    };
    let r = dig(glue("nsec3-nxdomain.test."), port, &["+dnssec", "+norec", "nosuch.nsec3-nxdomain.test.", "A"]);
    assert!(r.contains("status: NXDOMAIN") && r.matches("IN NSEC3 1 0 0 ABCD").count() >= 2, "{r}");
    // Misbehaving servers.
    let r = dig(glue("allow-query-none.test."), port, &["+norec", "allow-query-none.test.", "A"]);
    assert!(r.contains("status: REFUSED"), "{r}");
    let tcp_only = glue("tcp-only.test.");
    let r = dig(tcp_only, port, &["+norec", "+ignore", "tcp-only.test.", "A"]);
    assert!(r.contains(" tc") && r.contains("ANSWER: 0"), "UDP is truncated: {r}");
    let r = dig(tcp_only, port, &["+norec", "+tcp", "tcp-only.test.", "A"]);
    assert!(has_rr(&r, "tcp-only.test.", 300, "A", "192.0.2.1"), "{r}");
    // Out of zone: REFUSED.
    let r = dig(addr, port, &["+norec", "example.org.", "A"]);
    assert!(r.contains("status: REFUSED"), "{r}");
    drop(_lab);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig, delv, kdig, dnssec-verify, named, ldns-verify-zone and setpriv")]
fn bind_as_a_validating_resolver_passes_the_check_with_its_allow_file() {
    let out = temp_dir("bind");
    let _ = run(Command::new("chmod").args(["0777"]).arg(&out));
    let (port, listen) = (free_port(), free_port());
    let block = Ipv4Addr::new(127, 56, 0, 0);
    let _lab = serve_lab(&out, block, port, &["--resolver-listen", &format!("127.0.0.1:{listen}")]);
    // named started from the configuration the lab wrote: it asks the
    // lab's servers on the lab's port and listens on its own.
    let conf = out.join("resolvers/named.conf");
    // The lab ran as nobody; named (root without CAP_DAC_OVERRIDE) writes there.
    let _ = run(Command::new("chmod").args(["0777"]).arg(out.join("resolvers")));
    let o = run(Command::new("named-checkconf").arg(&conf));
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let mut cmd = Command::new("named");
    let log = std::fs::File::create(out.join("named.log")).unwrap();
    cmd.args(["-4", "-g", "-c"]).arg(&conf).stdout(Stdio::null()).stderr(log);
    if is_root() {
        cmd.args(["-u", "root"]);
    }
    let _named = Guard(cmd.spawn().expect("spawn named"));
    let start = Instant::now();
    while !dig(Ipv4Addr::LOCALHOST, listen, &["+time=1", "+tries=1", "valid.test.", "A"]).contains("status: NOERROR") {
        let log = std::fs::read_to_string(out.join("named.log")).unwrap_or_default();
        assert!(start.elapsed() < Duration::from_secs(30), "named did not come up:\n{log}");
        std::thread::sleep(Duration::from_millis(300));
    }
    let server = format!("127.0.0.1:{listen}");
    let allow = out.join("resolvers/named.allow");
    let o = run(candor()
        .args(["lab", "check", "--server", &server, "--compare", "verdict", "--lab"])
        .arg(&out)
        .arg("--allow")
        .arg(&allow));
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "BIND 9.18 and the catalogue disagree beyond named.allow:\n{report}");
    // Every accepted difference occurs (the list is exact), the clock and
    // off-loopback glue cases are skipped, everything else agrees.
    let listed = candor_lab::DIFFERENCES.iter().find(|(r, _)| *r == "named").map_or(0, |(_, c)| c.len());
    let summary = report.lines().last().unwrap_or_default();
    assert!(summary.contains(&format!(" 0 wrong, {listed} allowed, 6 skipped")), "{summary}");
    let ok: usize = summary.split(": ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
    assert!(ok > 85, "{summary}");
    let _ = std::fs::remove_dir_all(&out);
}
