//! Operating `candor serve` (issue 20), end to end through its sockets:
//! the Prometheus endpoint scraped over HTTP, its format checked by
//! `promtool`, its values checked after known queries, the query log's
//! lines, and `control stats` telling the same.

mod common;
use common::{Guard, dig, free_port, scratch, wait_for};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One HTTP/1.1 request; the response head and the body.
fn http(port: u16, request_line: &str) -> (String, String) {
    http_with(port, request_line, "")
}

fn http_with(port: u16, request_line: &str, headers: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "{request_line}\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    (head.to_owned(), body.to_owned())
}

/// The value of the sample `series` (name and labels, as written) in an
/// exposition; 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

fn control(sock: &Path, line: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_candor"))
        .args(["control", "--control"])
        .arg(sock)
        .args(line.split_whitespace())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The lab served on `lab_port` of 127.65/16, written to `dir`.
fn start_lab(dir: &Path, lab_port: u16) -> Guard {
    common::start_lab(dir, "127.65.0.0", lab_port)
}

/// `candor serve` on the lab of `dir`, with `extra` flags, logging JSON
/// to `dir/serve.log`.
fn start_serve(dir: &Path, lab_port: u16, extra: &[&str]) -> Guard {
    Guard(serve_command(dir, lab_port, extra).stderr(log_file(dir)).spawn().unwrap())
}

fn log_file(dir: &Path) -> std::fs::File {
    std::fs::File::create(dir.join("serve.log")).unwrap()
}

fn serve_command(dir: &Path, lab_port: u16, extra: &[&str]) -> Command {
    let mut c = serve_command_without_level(dir, lab_port, extra);
    c.args(["--log-level", "info"]);
    c
}

/// [`serve_command`] leaving the log level to the configuration file.
fn serve_command_without_level(dir: &Path, lab_port: u16, extra: &[&str]) -> Command {
    let mut c = common::serve_over_lab(dir, lab_port);
    c.arg("--log-json").arg("--control").arg(dir.join("control.sock")).args(extra);
    c
}

/// The lab served on `lab_port` and candor on `port`, with `extra` flags.
fn start(dir: &Path, lab_port: u16, port: u16, extra: &[&str]) -> (Guard, Guard) {
    let lab = start_lab(dir, lab_port);
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec!["--listen", &listen];
    args.extend_from_slice(extra);
    let serve = start_serve(dir, lab_port, &args);
    wait_for("candor serve", || dig(port, &["valid.test.", "A"]).contains("status: NOERROR"));
    (lab, serve)
}

/// `name value` from `control stats`.
fn stat(sock: &Path, name: &str) -> u64 {
    let stats = control(sock, "stats");
    stats.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' '))).map_or(0, |v| v.parse().unwrap())
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig, the lab's tools and promtool (apt-get install prometheus)")]
fn metrics_are_scraped_over_http_and_count_what_was_asked() {
    let dir = scratch("metrics");
    let (lab_port, port, metrics_port) = (free_port(), free_port(), free_port());
    let listen = format!("127.0.0.1:{metrics_port}");
    let log = dir.join("queries.jsonl");
    let _running = start(&dir, lab_port, port, &["--metrics-listen", &listen, "--query-log", log.to_str().unwrap()]);

    let (head, before) = http(metrics_port, "GET /metrics HTTP/1.1");
    assert!(head.starts_with("HTTP/1.1 200") && head.contains("text/plain; version=0.0.4"), "{head}");
    // Known questions: a secure name five times over UDP (the first may
    // resolve, the others come from the caches), once over TCP, and an
    // expired signature (SERVFAIL with EDE 7 and 6).
    // (No cookie: only plain questions are kept as finished responses.)
    for _ in 0..5 {
        let r = dig(port, &["+dnssec", "+nocookie", "valid.test.", "A"]);
        assert!(r.contains(" ad;") || r.contains(" ad "), "{r}");
    }
    assert!(dig(port, &["+tcp", "+dnssec", "valid.test.", "A"]).contains("status: NOERROR"));
    let r = dig(port, &["+dnssec", "rrsig-exp-a.test.", "A"]);
    assert!(r.contains("status: SERVFAIL") && r.contains("EDE: 7"), "{r}");
    let (_, after) = http(metrics_port, "GET /metrics HTTP/1.1");
    let delta = |series: &str| sample(&after, series) - sample(&before, series);

    assert_eq!(delta("candor_queries_total{transport=\"udp\"}"), 6.0, "{after}");
    assert_eq!(delta("candor_queries_total{transport=\"tcp\"}"), 1.0);
    assert_eq!(delta("candor_responses_total{rcode=\"NOERROR\"}"), 6.0);
    assert_eq!(delta("candor_responses_total{rcode=\"SERVFAIL\"}"), 1.0);
    assert_eq!(delta("candor_responses_authenticated_total"), 6.0);
    assert_eq!(delta("candor_responses_ede_total{code=\"7\"}"), 1.0);
    assert_eq!(delta("candor_responses_ede_total{code=\"6\"}"), 1.0);
    assert!(delta("candor_reply_cache_hits_total") >= 3.0, "repeated plain UDP questions: {after}");
    assert_eq!(delta("candor_verdicts_total{verdict=\"bogus\",kind=\"signature-expired\"}"), 1.0);
    assert!(delta("candor_upstream_queries_total{outcome=\"answer\"}") >= 1.0);
    assert!(delta("candor_upstream_rtt_seconds_count") >= 1.0);
    assert!(delta("candor_resolution_seconds_count") >= 1.0);
    assert!(sample(&after, "candor_cache_entries{cache=\"answers\"}") >= 2.0);
    assert!(sample(&after, "candor_cache_budget_bytes") > 0.0);
    assert!(after.contains("# TYPE candor_queries_total counter"), "the classic format by default: {after}");
    // OpenMetrics to a scraper that asks for it (as Prometheus does).
    let (head, open) = http_with(metrics_port, "GET /metrics HTTP/1.1", "Accept: application/openmetrics-text\r\n");
    assert!(head.contains("application/openmetrics-text"), "{head}");
    assert!(open.contains("# TYPE candor_queries counter") && open.trim_end().ends_with("# EOF"), "{open}");

    // The format, as Prometheus's own checker reads it.
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    check.stdin.take().unwrap().write_all(after.as_bytes()).unwrap();
    let out = check.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Only /metrics, only GET and HEAD.
    assert!(http(metrics_port, "GET / HTTP/1.1").0.starts_with("HTTP/1.1 404"));
    assert!(http(metrics_port, "POST /metrics HTTP/1.1").0.starts_with("HTTP/1.1 405"));
    let (head, body) = http(metrics_port, "HEAD /metrics HTTP/1.1");
    assert!(head.starts_with("HTTP/1.1 200") && body.is_empty(), "{head} {body}");

    // The query log: a JSON line per answered query, written off the
    // query path (waited for).
    let mut lines: Vec<serde_json::Value> = Vec::new();
    wait_for("the query log", || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        lines = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        lines.iter().any(|v| v["qname"] == "rrsig-exp-a.test.")
    });
    let bogus = lines.iter().find(|v| v["qname"] == "rrsig-exp-a.test.").unwrap();
    assert_eq!((bogus["rcode"].as_str(), bogus["qtype"].as_str()), (Some("SERVFAIL"), Some("A")), "{bogus}");
    assert_eq!(bogus["ede"], serde_json::json!([7, 6]), "{bogus}");
    assert_eq!((bogus["cached"].as_bool(), bogus["ad"].as_bool()), (Some(false), Some(false)), "{bogus}");
    assert!(bogus["upstream"].as_u64().unwrap() >= 1 && bogus["latency_us"].as_u64().unwrap() > 0, "{bogus}");
    assert_eq!(bogus["client"], "127.0.0.1");
    assert!(bogus["time"].as_str().unwrap().ends_with('Z'), "{bogus}");
    let hits: Vec<_> = lines.iter().filter(|v| v["qname"] == "valid.test." && v["cached"] == true).collect();
    assert!(hits.len() >= 5, "{lines:?}");
    assert!(hits.iter().all(|v| v["upstream"] == 0 && v["rcode"] == "NOERROR"), "{hits:?}");
    assert!(hits.iter().filter(|v| v["ad"] == true).count() >= 5, "{hits:?}");

    // One WARN line for a zone that fails under many names, its fields
    // apart in the JSON log; the next one, a minute on, would say how many
    // were held back.
    for name in ["rrsig-exp-all.test.", "n0.rrsig-exp-all.test.", "n1.rrsig-exp-all.test.", "n2.rrsig-exp-all.test."] {
        assert!(dig(port, &[name, "A"]).contains("status: SERVFAIL"), "{name}");
    }
    let log_text = std::fs::read_to_string(dir.join("serve.log")).unwrap();
    let warns: Vec<serde_json::Value> = log_text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["zone"] == "rrsig-exp-all.test.")
        .collect();
    assert_eq!(warns.len(), 1, "one line for four failing names: {log_text}");
    let f = &warns[0]["fields"];
    assert_eq!((f["qname"].as_str(), f["qtype"].as_str()), (Some("rrsig-exp-all.test."), Some("A")), "{f}");
    assert_eq!((f["kind"].as_str(), f["ede"].as_u64()), (Some("signature-expired"), Some(7)), "{f}");
    assert!(f["server"].as_str().is_some_and(|s| s.starts_with("127.65.")), "the zone's server: {f}");
    assert!(f["message"].as_str().unwrap().starts_with("DNSSEC validation failed: "), "{f}");
    assert_eq!(warns[0]["level"], "WARN");

    // A zone whose signatures end in 10 hours: one WARN line, the metric,
    // and first in `control expiring`.
    assert!(dig(port, &["+dnssec", "rrsig-exp-soon.test.", "A"]).contains(" ad;"));
    let text = std::fs::read_to_string(dir.join("serve.log")).unwrap();
    let warned: Vec<&str> =
        text.lines().filter(|l| l.contains("zone rrsig-exp-soon.test.: RRSIGs expire in ")).collect();
    assert_eq!(warned.len(), 1, "{text}");
    assert!(warned[0].contains("re-sign before then, the signer may have stopped"), "{}", warned[0]);
    let (_, scraped) = http(metrics_port, "GET /metrics HTTP/1.1");
    let left = sample(&scraped, "candor_rrsig_expiry_seconds{zone=\"rrsig-exp-soon.test.\"}");
    assert!(left > 9.0 * 3600.0 && left <= 10.0 * 3600.0, "{left}: {scraped}");
    let expiring = control(&dir.join("control.sock"), "expiring");
    assert!(expiring.lines().next().unwrap().starts_with("rrsig-exp-soon.test. "), "{expiring}");

    // `control stats` counts the same.
    let sock = dir.join("control.sock");
    let stats = control(&sock, "stats");
    let line = |name: &str| -> u64 {
        stats.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' '))).unwrap().parse().unwrap()
    };
    assert_eq!(line("queries-tcp"), sample(&after, "candor_queries_total{transport=\"tcp\"}") as u64, "{stats}");
    assert!(line("verdict-bogus-signature-expired") >= 2, "{stats}");
    // The last hour's most failing zones, most first.
    let first = stats.lines().find(|l| l.starts_with("bogus-zone ")).unwrap();
    assert!(first.starts_with("bogus-zone rrsig-exp-all.test. "), "{stats}");
    assert!(first.rsplit(' ').next().unwrap().parse::<u64>().unwrap() >= 4, "{stats}");
    assert!(stats.contains("bogus-zone rrsig-exp-a.test. 1"), "{stats}");
    let json = control(&sock, "stats --json");
    let v: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(v["responses-servfail"], 5, "{json}");
    assert!(v["query-log-lines"].as_u64().unwrap() >= 7 && v["query-log-dropped"] == 0, "{json}");
    assert_eq!(json.lines().last(), Some("ok"));
    assert_eq!(v["bogus-zones"][0]["bogus-zone"], "rrsig-exp-all.test.", "{json}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig and the lab's tools")]
fn a_reload_applies_listen_and_allow_and_keeps_the_cache_and_runtime_anchors() {
    let dir = scratch("reload");
    let (lab_port, a, b) = (free_port(), free_port(), free_port());
    let _lab = start_lab(&dir, lab_port);
    let conf = dir.join("candor.toml");
    let write = |listen: u16, allow: &str, workers: u32| {
        let text = format!("listen = [\"127.0.0.1:{listen}\"]\nallow = [\"{allow}\"]\nworkers = {workers}\n");
        std::fs::write(&conf, text).unwrap();
    };
    write(a, "127.0.0.0/8", 1);
    // As systemd would start it (Type=notify): READY=1 once it listens.
    let notify = std::os::unix::net::UnixDatagram::bind(dir.join("notify.sock")).unwrap();
    notify.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let said = || {
        let mut buf = [0u8; 256];
        let n = notify.recv(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    let serve = Guard(
        serve_command(&dir, lab_port, &["--config", conf.to_str().unwrap()])
            .env("NOTIFY_SOCKET", dir.join("notify.sock"))
            .stderr(log_file(&dir))
            .spawn()
            .unwrap(),
    );
    assert_eq!(said(), "READY=1");
    assert!(dig(a, &["valid.test.", "A"]).contains("status: NOERROR"), "ready means answering");
    let sock = dir.join("control.sock");
    assert!(control(&sock, "nta add rrsig-exp-a.test. 600").contains("ok"));
    let asked = stat(&sock, "upstream-answer");
    let hup = || {
        let pid = serve.0.id().to_string();
        assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    };

    // Another port, and a setting that needs a restart.
    write(b, "127.0.0.0/8", 2);
    hup();
    assert!(said().starts_with("RELOADING=1\nMONOTONIC_USEC="));
    assert_eq!(said(), "READY=1");
    assert!(dig(b, &["valid.test.", "A"]).contains("status: NOERROR"), "the new address, once ready");
    assert!(!dig(a, &["valid.test.", "A"]).contains("status:"), "the old address is closed");
    assert_eq!(stat(&sock, "upstream-answer"), asked, "answered from the cache kept over the reload");
    assert!(control(&sock, "nta list").contains("rrsig-exp-a.test. "), "the runtime NTA survives");
    assert!(dig(b, &["rrsig-exp-a.test.", "A"]).contains("status: NOERROR"), "and still applies");

    // Another ACL: refused from loopback now.
    write(b, "192.0.2.0/24", 2);
    hup();
    assert!(said().starts_with("RELOADING=1"));
    assert_eq!(said(), "READY=1");
    assert!(dig(b, &["valid.test.", "A"]).contains("status: REFUSED"), "the new ACL, once ready");

    // A second candor with the same control socket refuses to start (it
    // would share the port, and take the socket over).
    let second = serve_command(&dir, lab_port, &["--listen", &format!("127.0.0.1:{}", free_port())])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&second.stderr).contains("another candor answers on this control socket"));
    assert!(control(&sock, "nta list").contains("ok"), "the first keeps its socket");
    let pid = serve.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert_eq!(said(), "STOPPING=1");

    let log = std::fs::read_to_string(dir.join("serve.log")).unwrap();
    assert!(log.contains("reload: not applied until candor restarts: workers"), "{log}");
    assert!(log.contains("the cache and negative trust anchors kept"), "{log}");
    assert!(log.contains(&format!("reload: no longer listening on 127.0.0.1:{a}")), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs systemd-analyze (apt-get install systemd)")]
fn the_shipped_unit_verifies_and_the_example_configuration_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let unit = std::fs::read_to_string(root.join("deploy/candor.service")).unwrap();
    for line in
        ["Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "RuntimeDirectory=candor", "StateDirectory=candor"]
    {
        assert!(unit.lines().any(|l| l == line), "{line}");
    }
    // systemd-analyze wants the binary where ExecStart says: this build's.
    let dir = std::env::temp_dir().join(format!("candor-unit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let here = unit.replace("/usr/local/bin/candor", env!("CARGO_BIN_EXE_candor"));
    std::fs::write(dir.join("candor.service"), here).unwrap();
    let out = Command::new("systemd-analyze").arg("verify").arg(dir.join("candor.service")).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && !said.contains("candor.service"), "systemd-analyze verify: {said}");
    // The example a LAN host starts from loads, and its ACL parses.
    let f = candor::config::load(&root.join("deploy/candor.toml")).unwrap();
    assert!(f.listen.unwrap().iter().any(|a| a.to_string() == "192.168.1.53:53"));
    for p in f.allow.unwrap() {
        assert!(p.parse::<candor_resolver::Prefix>().is_ok(), "{p}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig and the lab's tools")]
fn with_the_authority_gone_an_expired_answer_is_served_stale_with_ede_3() {
    let dir = scratch("stale");
    let (lab_port, port) = (free_port(), free_port());
    let log = dir.join("queries.jsonl");
    let (lab, _serve) = start(&dir, lab_port, port, &["--query-log", log.to_str().unwrap()]);
    let r = dig(port, &["+dnssec", "short.short-ttl.test.", "A"]);
    assert!(r.contains("status: NOERROR") && r.contains(" ad;") && !r.contains("EDE"), "{r}");
    // The authority goes away; the answer's 5 s run out.
    drop(lab);
    std::thread::sleep(Duration::from_secs(6));
    let r = dig(port, &["+dnssec", "short.short-ttl.test.", "A"]);
    assert!(r.contains("status: NOERROR") && r.contains("192.0.2.5"), "{r}");
    assert!(r.contains("EDE: 3 (Stale Answer): (stale answer: the data expired "), "{r}");
    assert!(r.contains(" ad;"), "its signatures still hold: {r}");
    assert!(r.lines().any(|l| l.starts_with("short.short-ttl.test.") && l.contains("\t30\tIN\tA\t")), "TTL 30: {r}");
    let sock = dir.join("control.sock");
    assert_eq!(stat(&sock, "stale-answers"), 1);
    // A name never cached is not made up: SERVFAIL.
    assert!(dig(port, &["www.valid-15.test.", "A"]).contains("status: SERVFAIL"));
    let mut lines = Vec::new();
    wait_for("the query log", || {
        lines = std::fs::read_to_string(&log).unwrap_or_default().lines().map(str::to_owned).collect();
        lines.iter().any(|l| l.contains("\"stale\":true"))
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig and the lab's tools")]
fn an_answer_asked_for_near_its_expiry_is_refreshed_before_it() {
    let dir = scratch("prefetch");
    let (lab_port, port) = (free_port(), free_port());
    let (_lab, _serve) = start(&dir, lab_port, port, &[]);
    let sock = dir.join("control.sock");
    // Through the resolver's cache (dig's cookie) and through a worker's
    // response cache (no cookie): each is refreshed in its last second.
    for (name, extra) in [("short.short-ttl.test.", "+cookie"), ("short.short-ttl.test.", "+nocookie")] {
        control(&sock, "flush");
        let t0 = Instant::now();
        assert!(dig(port, &[extra, name, "A"]).contains("status: NOERROR"));
        let (asked, prefetched) = (stat(&sock, "upstream-answer"), stat(&sock, "prefetches"));
        // A second ask early on: no refresh.
        assert!(dig(port, &[extra, name, "A"]).contains("status: NOERROR"));
        std::thread::sleep(Duration::from_millis(4300).saturating_sub(t0.elapsed()));
        // In the last second of its 5: answered, and refreshed meanwhile.
        assert!(dig(port, &[extra, name, "A"]).contains("status: NOERROR"));
        wait_for("the refresh", || stat(&sock, "prefetches") > prefetched);
        let refreshed = stat(&sock, "upstream-answer");
        assert!(refreshed > asked, "{extra}: the refresh asked the authority");
        // Past the first answer's expiry: the refreshed one, no query.
        std::thread::sleep(Duration::from_millis(5600).saturating_sub(t0.elapsed()));
        let r = dig(port, &[extra, name, "A"]);
        assert!(r.contains("status: NOERROR") && !r.contains("EDE"), "{r}");
        assert_eq!(stat(&sock, "upstream-answer"), refreshed, "{extra}: no query at the old expiry");
        assert_eq!(stat(&sock, "prefetches"), prefetched + 1, "{extra}: once");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig and the lab's tools")]
fn a_restarted_server_answers_a_cached_name_without_asking_and_keeps_its_verdict() {
    let dir = scratch("restart");
    let (lab_port, port) = (free_port(), free_port());
    std::fs::create_dir_all(dir.join("state")).unwrap();
    let state = dir.join("state/cache.state");
    let log = dir.join("queries.jsonl");
    let listen = format!("127.0.0.1:{port}");
    let flags = ["--cache-state", state.to_str().unwrap(), "--query-log", log.to_str().unwrap()];
    let (_lab, mut serve) = start(&dir, lab_port, port, &flags);
    let before = dig(port, &["+dnssec", "valid.test.", "A"]);
    assert!(before.contains(" ad;") && before.contains("status: NOERROR"), "{before}");
    // Stopped as systemd stops it: the cache is saved.
    let pid = serve.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(serve.0.wait().unwrap().success());
    let logged = std::fs::read_to_string(dir.join("serve.log")).unwrap();
    assert!(logged.contains("cache saved to") && logged.contains("(shutdown)"), "{logged}");
    // Started again: read back before it says it is ready.
    let log = dir.join("queries-after.jsonl");
    let args = ["--listen", &listen, "--cache-state", state.to_str().unwrap(), "--query-log", log.to_str().unwrap()];
    let _serve = start_serve(&dir, lab_port, &args);
    wait_for("the restored cache", || {
        std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default().contains("cache restored from")
    });
    let logged = std::fs::read_to_string(dir.join("serve.log")).unwrap();
    assert!(logged.contains("0 did not verify again"), "{logged}");
    let after = dig(port, &["+dnssec", "valid.test.", "A"]);
    assert!(after.contains(" ad;") && after.contains("status: NOERROR"), "{after}");
    let answer = |r: &str| r.lines().filter(|l| l.starts_with("valid.test.") && l.contains("\tA\t")).count();
    assert_eq!(answer(&after), answer(&before));
    let mut line = String::new();
    wait_for("the query log", || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        line = text.lines().rfind(|l| l.contains("\"qname\":\"valid.test.\"")).unwrap_or_default().to_owned();
        line.contains("\"cached\":true")
    });
    assert!(line.contains("\"upstream\":0") && line.contains("\"ad\":true"), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig and the lab's tools")]
fn a_reload_changes_the_log_level() {
    let dir = scratch("log-level");
    let (lab_port, port) = (free_port(), free_port());
    let _lab = start_lab(&dir, lab_port);
    let conf = dir.join("candor.toml");
    let write = |level: &str| {
        std::fs::write(&conf, format!("listen = [\"127.0.0.1:{port}\"]\nlog-level = \"{level}\"\n")).unwrap();
    };
    write("info");
    let serve = Guard(
        serve_command_without_level(&dir, lab_port, &["--config", conf.to_str().unwrap()])
            .stderr(log_file(&dir))
            .spawn()
            .unwrap(),
    );
    wait_for("candor serve", || dig(port, &["valid.test.", "A"]).contains("status: NOERROR"));
    let log = || std::fs::read_to_string(dir.join("serve.log")).unwrap();
    let reloaded = |log: &str| log.matches("configuration and anchors reloaded").count();
    let hup = || {
        let pid = serve.0.id().to_string();
        assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    };
    // To warn: said (at WARN), and the INFO lines of the next reload are gone.
    write("warn");
    hup();
    wait_for("the new level", || log().contains("reload: log level now warn"));
    assert_eq!(reloaded(&log()), 1, "this reload's INFO line came before the change");
    hup();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(reloaded(&log()), 1, "no INFO line at warn");
    // A level it does not know: refused, the current one kept.
    write("loud");
    hup();
    wait_for("the refusal", || log().contains("reload failed, nothing changed: ") && log().contains("log-level: loud"));
    // Back to info.
    write("info");
    hup();
    wait_for("info again", || log().contains("reload: log level now info"));
    hup();
    wait_for("INFO lines again", || reloaded(&log()) == 2);
    assert!(!log().contains("not applied until candor restarts"), "{}", log());
    let _ = std::fs::remove_dir_all(&dir);
}
