//! `candor trace` against the served lab: for every case of `cases.tsv`
//! the trace reports the case's failure kind (matched on the kind id, not
//! on free text) and exits with the status of its verdict; the text names
//! the broken link and the JSON carries the same kind. Loopback only
//! (127.66.x.y and a free high port).

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// The lab's fixed time, so signatures and clock offsets are reproducible.
const LAB_NOW: i64 = 1_795_000_000;

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn candor() -> Command {
    Command::new(env!("CARGO_BIN_EXE_candor"))
}

/// Serve the lab and wait for its "serving" line.
fn serve_lab(out: &Path, port: u16) -> Guard {
    let mut child = candor()
        .args(["lab", "--serve", "--block", "127.66.0.0", "--port", &port.to_string(), "--now", &LAB_NOW.to_string()])
        .arg("--out")
        .arg(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn candor lab");
    let stdout = child.stdout.take().unwrap();
    let guard = Guard(child);
    // The lab exits (EOF here) when it cannot serve.
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line.contains("serving") {
            return guard;
        }
    }
    panic!("the lab did not come up");
}

struct Case {
    name: String,
    qname: String,
    qtype: String,
    verdict: String,
    kind: String,
    offset: i64,
    /// What the extra-text must contain, derived by the lab from the
    /// broken zone (the DS and key tags, the hash, the server, the time).
    evidence: Vec<String>,
}

fn cases(dir: &Path) -> Vec<Case> {
    let tsv = std::fs::read_to_string(dir.join("cases.tsv")).unwrap();
    tsv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Case {
                name: f[0].to_owned(),
                qname: f[1].to_owned(),
                qtype: f[2].to_owned(),
                verdict: f[3].to_owned(),
                kind: f[5].to_owned(),
                offset: f[7].parse().unwrap(),
                evidence: f
                    .get(8)
                    .filter(|e| !e.is_empty())
                    .map_or_else(Vec::new, |e| e.split(" | ").map(str::to_owned).collect()),
            }
        })
        .collect()
}

fn case_named<'a>(all: &'a [Case], name: &str) -> &'a Case {
    all.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no case {name}"))
}

fn trace(dir: &Path, port: u16, c: &Case, json: bool) -> (Option<i32>, String) {
    let mut cmd = candor();
    cmd.args(["trace", &c.qname, &c.qtype, "--authority-port", &port.to_string()])
        .args(["--outbound-allow", "127.0.0.0/8", "--now", &(LAB_NOW + c.offset).to_string()])
        .arg("--root-hints")
        .arg(dir.join("root.hints"))
        .arg("--trust-anchor")
        .arg(dir.join("root.key"));
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("candor-trace-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn trace_names_the_kind_and_verdict_of_every_lab_case() {
    let dir = temp_dir();
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _lab = serve_lab(&dir, port);
    let all = cases(&dir);
    assert!(all.len() > 80, "the catalogue has {} cases", all.len());
    let with_evidence = all.iter().filter(|c| !c.evidence.is_empty()).count();
    assert!(with_evidence > 60, "only {with_evidence} cases carry evidence");
    let wrong = Mutex::new(Vec::new());
    let next = Mutex::new(all.iter());
    // Several at once: the unreachable-server cases wait out timeouts.
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                loop {
                    let Some(c) = next.lock().unwrap().next() else { return };
                    let (code, out) = trace(&dir, port, c, false);
                    let expected_exit = match c.verdict.as_str() {
                        "secure" => 0,
                        "insecure" => 1,
                        "bogus" => 2,
                        _ => 3,
                    };
                    let verdict_line = out.lines().find(|l| l.starts_with(";; verdict:")).unwrap_or("");
                    let kind_ok = verdict_line.contains(&format!("({})", c.kind));
                    let evidence = out.lines().find(|l| l.starts_with(";; evidence:")).unwrap_or("");
                    let missing: Vec<&String> = c.evidence.iter().filter(|e| !evidence.contains(e.as_str())).collect();
                    if code != Some(expected_exit) || !kind_ok || !missing.is_empty() {
                        wrong.lock().unwrap().push(format!(
                            "{}: expected {} ({}), exit {expected_exit}, evidence {:?}; got exit {code:?}, lacking {missing:?}\n{out}",
                            c.name, c.verdict, c.kind, c.evidence
                        ));
                    }
                }
            });
        }
    });
    let wrong = wrong.into_inner().unwrap();
    assert!(wrong.is_empty(), "{} of {} cases wrong:\n{}", wrong.len(), all.len(), wrong.join("\n"));

    // The text stops at the broken link and explains it.
    let case = |n: &str| case_named(&all, n);
    let (_, out) = trace(&dir, port, case("rrsig-exp-a"), false);
    let last_link = out.lines().rfind(|l| !l.starts_with(";;")).unwrap();
    assert!(last_link.starts_with("broken") && last_link.contains("expired 30 days ago"), "{out}");
    assert!(out.contains(";; diagnosis: signature-expired in zone rrsig-exp-a.test."), "{out}");
    assert!(out.contains(";; fix: re-sign the zone"), "{out}");
    let (_, out) = trace(&dir, port, case("ds-bad-tag"), false);
    assert!(out.lines().any(|l| l.starts_with("broken") && l.contains("ds-bad-tag.test. DNSKEY")), "{out}");
    assert!(!out.contains(" answer "), "nothing after the broken link: {out}");
    // JSON: the same kind, machine-readable.
    let (code, out) = trace(&dir, port, case("ds-unsigned-child"), true);
    assert_eq!(code, Some(2));
    assert!(out.contains("\"verdict\":\"bogus\",\"kind\":\"ds-unsigned-zone\""), "{out}");
    assert!(out.contains("\"state\":\"broken\""), "{out}");

    // The clock check: `trace --clock`, and `serve` at start-up once it
    // has the root DNSKEY, place the local time in the root's windows.
    let valid = case("valid");
    let (_, out) = trace(&dir, port, valid, false);
    assert!(!out.contains(";; clock:"), "only with --clock: {out}");
    for (offset, expect) in [(0, "clock check: ok: the local clock"), (40 * 86_400, "clock check: probable skew")] {
        let listen = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let mut serve = Guard(
            candor()
                .args(["serve", "--listen", &listen.to_string(), "--no-rfc5011", "--log-level", "info"])
                .args(["--authority-port", &port.to_string(), "--outbound-allow", "127.0.0.0/8"])
                .args(["--now", &(LAB_NOW + offset).to_string()])
                .arg("--root-hints")
                .arg(dir.join("root.hints"))
                .arg("--trust-anchor")
                .arg(dir.join("root.key"))
                .arg("--control")
                .arg(dir.join(format!("control-{offset}.sock")))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let stderr = serve.0.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let line = lines.by_ref().map_while(Result::ok).find(|l| l.contains("clock check"));
        assert!(line.as_deref().is_some_and(|l| l.contains(expect)), "offset {offset}: {line:?}");
        // Its log is no longer read from here on: a server whose stderr is
        // closed must still answer (logging a failure once cost the answer).
        drop(lines);
        if offset != 0 {
            continue;
        }
        // `--server`: the same verdicts through one resolver (asked with
        // CD), validated here against the anchor.
        let via_server = |c: &Case| {
            let out = candor()
                .args(["trace", &c.qname, &c.qtype, "--server", &listen.to_string()])
                .args(["--outbound-allow", "127.0.0.0/8", "--now", &LAB_NOW.to_string(), "--trust-anchor"])
                .arg(dir.join("root.key"))
                .output()
                .unwrap();
            (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
        };
        for (case, exit, verdict) in [
            ("valid", 0, "secure (valid)"),
            ("rrsig-exp-a", 2, "bogus (signature-expired)"),
            ("unsigned", 1, "insecure (insecure-unsigned)"),
        ] {
            let (code, text) = via_server(case_named(&all, case));
            assert_eq!(code, Some(exit), "{case} via --server: {text}");
            assert!(text.contains(&format!(";; verdict: {verdict}")), "{case} via --server: {text}");
        }
        // A lame zone behind the resolver: its own EDE and the lame
        // server, attributed to it, never a failure of the root.
        let c = case_named(&all, "not-auth");
        let (_, text) = via_server(c);
        assert!(!text.contains("in zone ."), "not-auth via --server: {text}");
        assert!(text.contains(&format!(" at the resolver {listen} (EDE 23)")), "{text}");
        let lame = c.evidence.first().map(String::as_str).unwrap_or("?");
        // (The resolver's names carry the spelling of the question it was
        // asked, which `trace` randomises: 0x20. Names compare case-blind.)
        let lower = text.to_ascii_lowercase();
        assert!(lower.lines().any(|l| l.starts_with(";; ede: 22: via ") && l.contains(lame)), "{lame}: {text}");
    }
    let mut skewed = Command::new(env!("CARGO_BIN_EXE_candor"));
    skewed.args(["trace", "valid.test.", "--clock", "--authority-port", &port.to_string()]);
    skewed.args(["--now", &(LAB_NOW - 2 * 86_400).to_string(), "--outbound-allow", "127.0.0.0/8"]);
    let out = skewed
        .arg("--root-hints")
        .arg(dir.join("root.hints"))
        .arg("--trust-anchor")
        .arg(dir.join("root.key"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(out.contains(";; clock: probable skew") && out.contains("before the root's signature inception"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn trace_usage_errors_exit_64() {
    let code = |args: &[&str]| candor().args(args).output().unwrap().status.code();
    assert_eq!(code(&["trace", "a..b"]), Some(64));
    assert_eq!(code(&["trace", "example.", "NOSUCHTYPE"]), Some(64));
    assert_eq!(code(&["trace", "example.", "--now", "yesterday"]), Some(64));
    assert_eq!(code(&["trace", "example.", "--root-hints", "/nonexistent/hints"]), Some(64));
}
