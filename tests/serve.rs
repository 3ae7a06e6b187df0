//! `candor serve` against the lab served on loopback, asked by `dig` as a
//! stub would: AD on healthy zones, SERVFAIL with the EDE on broken ones,
//! the data with +cd, TCP, the cached-error code, and 10,000 bad packets
//! that change nothing.

mod common;
use common::{Guard, dig, free_port, wait_for};
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig, delv, kdig, dnssec-verify, named, ldns-verify-zone and setpriv")]
fn serve_answers_stubs_as_the_design_says() {
    let dir: PathBuf = std::env::temp_dir().join(format!("candor-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (lab_port, port) = (free_port(), free_port());
    let candor = env!("CARGO_BIN_EXE_candor");
    let _lab = Guard(
        Command::new(candor)
            .args(["lab", "--serve", "--block", "127.64.0.0", "--port", &lab_port.to_string(), "--out"])
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for("the lab", || dir.join("cases.tsv").exists() && dir.join("root.key").exists());
    std::thread::sleep(Duration::from_millis(500));
    let conf = dir.join("candor.toml");
    std::fs::write(&conf, "log-level = \"warn\"\n").unwrap();
    let serve = Guard(
        Command::new(candor)
            .args([
                "serve",
                "--config",
                conf.to_str().unwrap(),
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--root-hints",
            ])
            .arg(dir.join("root.hints"))
            .arg("--trust-anchor")
            .arg(dir.join("root.key"))
            .args(["--authority-port", &lab_port.to_string(), "--outbound-allow", "127.0.0.0/8"])
            .arg("--anchor-state")
            .arg(dir.join("anchor.state"))
            .arg("--control")
            .arg(dir.join("control.sock"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for("candor serve", || dig(port, &["valid.test.", "A"]).contains("status: NOERROR"));

    let r = dig(port, &["+dnssec", "valid.test.", "A"]);
    assert!(r.contains(" ad;") || r.contains(" ad "), "AD on a healthy zone: {r}");
    // (Written off the runtime's threads: waited for.)
    wait_for("the RFC 5011 state", || {
        std::fs::read_to_string(dir.join("anchor.state")).is_ok_and(|s| s.contains("key valid 0 257 3 13 "))
    });
    assert!(r.contains("RRSIG\tA 13 2 300"), "RRSIGs with DO: {r}");
    let r = dig(port, &["valid.test.", "A"]);
    assert!(!r.contains("RRSIG"), "no RRSIGs without DO: {r}");

    let r = dig(port, &["+dnssec", "rrsig-exp-a.test.", "A"]);
    assert!(r.contains("status: SERVFAIL"), "{r}");
    assert!(r.contains("EDE: 7 (Signature Expired): (rrsig-exp-a.test./A: RRSIG "), "{r}");
    // The specific code first, the general DNSSEC Bogus beside it.
    assert!(r.contains("EDE: 6 (DNSSEC Bogus): (DNSSEC validation failed in rrsig-exp-a.test.: see EDE 7)"), "{r}");
    // Asked again: the same codes, and from the cache of failures (13) with
    // the verdict's age, the text not repeated.
    let r = dig(port, &["+dnssec", "rrsig-exp-a.test.", "A"]);
    assert!(
        r.contains("EDE: 7 (Signature Expired)") && r.contains("EDE: 13 (Cached Error): (a cached verdict, "),
        "{r}"
    );
    assert_eq!(r.matches("rrsig-exp-a.test./A: RRSIG").count(), 1, "the text once: {r}");
    // Several EDEs in a 512-octet reply: it fits, each is shown, the long
    // text cut rather than a code dropped.
    let _ = dig(port, &["+dnssec", "revoked-ksk.test.", "A"]);
    let r = dig(port, &["+dnssec", "+bufsize=512", "revoked-ksk.test.", "A"]);
    let size: usize = r
        .lines()
        .find_map(|l| l.strip_prefix(";; MSG SIZE  rcvd: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(usize::MAX);
    assert!(size <= 512, "{size} octets: {r}");
    for code in ["EDE: 9 (DNSKEY Missing)", "EDE: 6 (DNSSEC Bogus)", "EDE: 13 (Cached Error)"] {
        assert!(r.contains(code), "{code}: {r}");
    }
    // CD=1: the data, without AD.
    let r = dig(port, &["+dnssec", "+cd", "rrsig-exp-a.test.", "A"]);
    assert!(r.contains("status: NOERROR") && r.contains("IN\tA\t192.0.2.1") && !r.contains(" ad;"), "{r}");
    // Insecure with an informational code; a DS digest we do not support.
    let r = dig(port, &["+dnssec", "ds-unassigned-digest-algo.test.", "A"]);
    assert!(r.contains("status: NOERROR") && r.contains("EDE: 2 (Unsupported DS Digest Type)"), "{r}");
    // dig over every case of the catalogue (the clock cases need another
    // clock: the demo covers them): SERVFAIL with the right EDE code on each
    // broken one, AD on each secure one.
    let tsv = std::fs::read_to_string(dir.join("cases.tsv")).unwrap();
    let mut wrong = Vec::new();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let (name, qname, qtype, verdict, ede, clock) = (f[0], f[1], f[2], f[3], f[4], f[7]);
        // What the extra-text must hold, derived by the lab from the zone.
        let evidence: Vec<&str> =
            f.get(8).filter(|e| !e.is_empty()).map_or_else(Vec::new, |e| e.split(" | ").collect());
        if clock != "0" {
            continue;
        }
        let r = dig(port, &["+dnssec", qname, qtype]);
        let ad = r.lines().any(|l| l.starts_with(";; flags:") && l.contains(" ad"));
        let servfail = r.contains("status: SERVFAIL");
        // dig names the codes it knows ("EDE: 7 (Signature Expired):") and
        // only numbers the newer ones ("EDE: 25:").
        let code_ok = ede == "-" || r.contains(&format!("EDE: {ede} (")) || r.contains(&format!("EDE: {ede}:"));
        let missing: Vec<&&str> = evidence.iter().filter(|e| !r.contains(**e)).collect();
        let ok = match verdict {
            "secure" => ad && !servfail,
            "insecure" => !ad && !servfail && code_ok,
            _ => servfail && code_ok,
        };
        if !ok || !missing.is_empty() {
            wrong.push(format!("{name}: expected {verdict}/{ede}, the text lacking {missing:?}\n{r}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // TCP (RFC 7766): two queries on one connection, the slow one first;
    // the fast answer does not wait behind it.
    {
        use std::io::{Read, Write};
        let wire = |id: u16, name: &str| {
            let q = candor_wire::Message::query(
                id,
                candor_wire::Question::new(name.parse().unwrap(), candor_wire::RType::A),
            );
            let w = q.to_wire().unwrap();
            let mut framed = (w.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(&w);
            framed
        };
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        c.write_all(&wire(1, "www.no-listener.test.")).unwrap();
        c.write_all(&wire(2, "localhost.")).unwrap();
        let mut ids = Vec::new();
        for _ in 0..2 {
            let mut len = [0u8; 2];
            c.read_exact(&mut len).unwrap();
            let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
            c.read_exact(&mut buf).unwrap();
            ids.push(candor_wire::Message::from_wire(&buf).unwrap().header.id);
        }
        assert_eq!(ids, [2, 1], "answers out of order");
    }

    // Truncation: a large answer over 512-octet UDP comes back with TC.
    let r = dig(port, &["+dnssec", "+bufsize=512", "+ignore", "valid-8.test.", "DNSKEY"]);
    assert!(r.lines().any(|l| l.starts_with(";; flags:") && l.contains(" tc")), "{r}");

    // The operator steps in: a negative trust anchor (which also flushes
    // the zone) makes it resolve at once, without AD; removing it brings
    // the failure back.
    let control = |args: &[&str]| {
        let out = Command::new(candor)
            .arg("control")
            .arg("--socket")
            .arg(dir.join("control.sock"))
            .args(args)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    // `why`: the last failure of a question, untruncated, with each piece
    // of evidence on its own line; also as JSON.
    let (code, out) = control(&["why", "revoked-ksk.test.", "A"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("revoked-ksk.test. A: bogus (ds-no-matching-key) in zone revoked-ksk.test., "), "{out}");
    assert!(out.contains("\nede 9: ") && out.contains("\nede 6: ") && out.contains("published revoked"), "{out}");
    assert!(out.lines().filter(|l| l.starts_with("evidence: ")).count() >= 1 && out.contains("\nfix: "), "{out}");
    let (code, out) = control(&["why", "revoked-ksk.test.", "A", "--json"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.starts_with("{\"name\":\"revoked-ksk.test.\",\"type\":\"A\",")
            && out.contains("\"kind\":\"ds-no-matching-key\""),
        "{out}"
    );
    // With --trace, also the chain walked now, up to the broken link.
    let (code, out) = control(&["why", "revoked-ksk.test.", "A", "--trace"]);
    assert_eq!(code, Some(0), "{out}");
    let walked: Vec<&str> = out.lines().skip_while(|l| *l != "walked now:").skip(1).collect();
    assert!(walked.first().is_some_and(|l| l.starts_with("link: ok       . DNSKEY: anchor ")), "{out}");
    assert!(walked.iter().any(|l| l.starts_with("link: broken   revoked-ksk.test. DNSKEY: DS ")), "{out}");
    let (code, out) = control(&["why", "valid.test.", "A"]);
    assert!(code == Some(1) && out.starts_with("error: no failure of valid.test. A is kept"), "{out}");
    let (code, out) = control(&["nta", "add", "rrsig-exp-a.test.", "600"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.ends_with("ok\n"), "{out}");
    let r = dig(port, &["+dnssec", "rrsig-exp-a.test.", "A"]);
    assert!(r.contains("status: NOERROR") && !r.contains(" ad;") && r.contains("IN\tA\t192.0.2.1"), "{r}");
    // Without a cookie the query is plain, so repeats come from the
    // finished-response cache, which the operator's change must empty too.
    for _ in 0..3 {
        let r = dig(port, &["+dnssec", "+nocookie", "rrsig-exp-a.test.", "A"]);
        assert!(r.contains("status: NOERROR") && r.contains("IN\tA\t192.0.2.1"), "{r}");
    }
    let (_, out) = control(&["nta", "list"]);
    // Seconds left: 600 at most, counting down while the test runs.
    let left: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("rrsig-exp-a.test. "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!((540..=600).contains(&left), "{out}");
    assert_eq!(control(&["nta", "remove", "rrsig-exp-a.test."]).0, Some(0));
    let r = dig(port, &["+dnssec", "rrsig-exp-a.test.", "A"]);
    assert!(r.contains("status: SERVFAIL") && !r.contains("Cached Error"), "fresh after the flush: {r}");
    let r = dig(port, &["+dnssec", "+nocookie", "rrsig-exp-a.test.", "A"]);
    assert!(r.contains("status: SERVFAIL"), "no stale response after the change: {r}");
    // The counters: a budget, the bytes held within it, questions seen.
    let (code, out) = control(&["stats"]);
    assert_eq!(code, Some(0), "{out}");
    let stat = |key: &str| -> u64 {
        out.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("{key} in {out}"))
    };
    assert!(stat("cache-bytes ") > 0 && stat("cache-bytes ") <= stat("cache-budget "), "{out}");
    assert!(stat("cache-answer-bytes ") + stat("cache-rrset-bytes ") <= stat("cache-bytes "), "{out}");
    assert!(stat("cache-rrsets ") > 0 && stat("cache-rrset-bytes ") > 0, "{out}");
    assert!(stat("cache-misses ") > 0, "{out}");
    assert_eq!(control(&["flush"]).0, Some(0));
    let (code, out) = control(&["nta", "frobnicate"]);
    assert_eq!(code, Some(1));
    assert!(out.starts_with("error: expected"), "{out}");

    // Other stubs agree: kdig sees AD; delv, validating itself against the
    // lab's anchor, accepts the healthy zone and rejects the broken one.
    let kdig = Command::new("kdig")
        .args(["@127.0.0.1", "-p", &port.to_string(), "+dnssec", "valid.test.", "A"])
        .output()
        .unwrap();
    let k = String::from_utf8_lossy(&kdig.stdout);
    assert!(k.lines().any(|l| l.starts_with(";; Flags:") && l.contains(" ad")), "{k}");
    let delv = |q: &str| {
        let out = Command::new("delv")
            .args(["@127.0.0.1", "-p", &port.to_string(), "-a"])
            .arg(dir.join("root.anchors.conf"))
            .args(["+root=.", q, "A"])
            .output()
            .unwrap();
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    };
    assert!(delv("valid.test.").contains("; fully validated"), "{}", delv("valid.test."));
    assert!(delv("rrsig-exp-all.test.").contains("resolution failed"), "{}", delv("rrsig-exp-all.test."));

    // RD=0: from the cache only (valid.test. is cached again, www.valid.test. is not).
    dig(port, &["valid.test.", "A"]);
    let r = dig(port, &["+norec", "valid.test.", "A"]);
    assert!(r.contains("status: NOERROR") && r.contains("192.0.2.1"), "{r}");
    let r = dig(port, &["+norec", "www.valid.test.", "A"]);
    assert!(r.contains("status: REFUSED") && r.contains("EDE: 20 (Not Authoritative)"), "{r}");
    // TCP, and an unreachable zone.
    let r = dig(port, &["+tcp", "+dnssec", "www.solvethenetwork.com.", "A"]);
    assert!(r.contains("192.168.10.45") && r.contains(" ad;"), "{r}");
    let r = dig(port, &["no-listener.test.", "A"]);
    assert!(r.contains("status: SERVFAIL") && r.contains("EDE: 22 (No Reachable Authority)"), "{r}");

    // SIGHUP reloads the file: a negative trust anchor added there takes effect.
    std::fs::write(
        &conf,
        "log-level = \"warn\"\n[[negative-trust-anchor]]\nzone = \"rrsig-exp-all.test.\"\nseconds = 600\n",
    )
    .unwrap();
    let r = dig(port, &["+dnssec", "rrsig-exp-all.test.", "A"]);
    assert!(r.contains("status: SERVFAIL"), "{r}");
    let pid = serve.0.id().to_string();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    wait_for("the reload", || dig(port, &["+dnssec", "rrsig-exp-all.test.", "A"]).contains("status: NOERROR"));

    // 10,000 random and mutated packets: no crash, the next good query works.
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let good = {
        let mut q = candor_wire::Message::query(
            7,
            candor_wire::Question::new("valid.test.".parse().unwrap(), candor_wire::RType::A),
        );
        q.edns = Some(candor_wire::Edns::default());
        q.to_wire().unwrap()
    };
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..10_000 {
        let mut p = if i % 2 == 0 { good.clone() } else { (0..(next() % 300)).map(|_| next() as u8).collect() };
        for _ in 0..(next() % 6) {
            if !p.is_empty() {
                let at = (next() as usize) % p.len();
                p[at] = next() as u8;
            }
        }
        if i % 7 == 0 {
            p.truncate((next() as usize) % (p.len() + 1));
        }
        let _ = sock.send_to(&p, ("127.0.0.1", port));
    }
    std::thread::sleep(Duration::from_millis(500));
    let r = dig(port, &["+dnssec", "valid.test.", "A"]);
    assert!(r.contains("status: NOERROR") && r.contains(" ad;"), "still answering: {r}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig, delv, kdig, dnssec-verify, named, ldns-verify-zone and setpriv")]
fn serve_drops_privileges_after_binding() {
    let root = String::from_utf8_lossy(&Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0";
    let dir = std::env::temp_dir().join(format!("candor-user-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    if !root {
        // Only root may change user: anyone else gets a clear refusal.
        let out = Command::new(env!("CARGO_BIN_EXE_candor"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--user", "nobody", "--no-rfc5011"])
            .args(["--outbound-allow", "127.0.0.0/8"])
            .arg("--control")
            .arg(dir.join("c.sock"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--user nobody: setgroups"));
        return;
    }
    let serve = Guard(
        Command::new(env!("CARGO_BIN_EXE_candor"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--user", "nobody", "--no-rfc5011"])
            .args(["--outbound-allow", "127.0.0.0/8"])
            .arg("--control")
            .arg(dir.join("c.sock"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // localhost is answered locally: no network needed to see it serve.
    wait_for("candor serve", || dig(port, &["localhost.", "A"]).contains("127.0.0.1"));
    // The listeners are bound as root but read nothing until the drop:
    // by the first answer the process runs as nobody (real, effective,
    // saved and file-system uids alike).
    let status = std::fs::read_to_string(format!("/proc/{}/status", serve.0.id())).unwrap();
    let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert!(uid.split_whitespace().skip(1).all(|u| u == "65534"), "answered as {uid}");
    drop(serve);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_wildcard_listener_answers_from_the_address_asked() {
    let dir = std::env::temp_dir().join(format!("candor-wild-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let _serve = Guard(
        Command::new(env!("CARGO_BIN_EXE_candor"))
            .args(["serve", "--listen", &format!("0.0.0.0:{port}"), "--no-rfc5011", "--workers", "1"])
            .args(["--outbound-allow", "127.0.0.0/8"])
            .arg("--control")
            .arg(dir.join("c.sock"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let q = candor_wire::Message::query(
        9,
        candor_wire::Question::new("localhost.".parse().unwrap(), candor_wire::RType::A),
    )
    .to_wire()
    .unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    // The stub asks 127.0.0.7, not the address the kernel would pick to answer from.
    let start = Instant::now();
    let (n, from) = loop {
        sock.send_to(&q, ("127.0.0.7", port)).unwrap();
        let mut buf = [0u8; 512];
        if let Ok((n, from)) = sock.recv_from(&mut buf) {
            break (n, from);
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no answer");
    };
    assert_eq!(from, std::net::SocketAddr::from(([127, 0, 0, 7], port)));
    assert!(n > 12);
    let _ = std::fs::remove_dir_all(&dir);
}
