//! Encrypted and protected serving end to end, with real clients on
//! loopback: over DNS over TLS `kdig +tls` and `dig +tls` get the same AD
//! and EDE as over UDP, a padded query a padded answer, `openssl
//! s_client` the certificate (ALPN `dot`), and a certificate replaced on
//! disk is served after SIGHUP; over DNS over HTTPS `kdig +https`, `dig
//! +https` (POST and GET) and `curl` likewise, bad requests get their HTTP
//! errors, and `curl --doh-url` fetches a page at a lab name's loopback
//! address; a UDP flood from one network is rate-limited while another
//! network is answered. The lab at 127.79/16, 127.81/16 and 127.84/16;
//! certificates made by `openssl req` for the test.

mod common;
use common::{Guard, dig, free_port, scratch, serve_over_lab, start_lab, wait_for};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A self-signed P-256 certificate for `name` (and 127.0.0.1) with its key.
fn make_cert(dir: &Path, name: &str) {
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
        .args(["-subj", &format!("/CN={name}"), "-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "openssl req");
}

fn kdig(port: u16, args: &[&str]) -> String {
    let out = Command::new("kdig")
        .args(["@127.0.0.1", "-p", &port.to_string(), "+tls", "+time=5", "+retry=0"])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The queries `candor control stats` counts over `transport` (tls,
/// https), and the whole of what it printed.
fn queries_over(dir: &Path, transport: &str) -> (u64, String) {
    let stats = Command::new(env!("CARGO_BIN_EXE_candor"))
        .args(["control", "--control"])
        .arg(dir.join("control.sock"))
        .arg("stats")
        .output()
        .unwrap();
    let stats = String::from_utf8_lossy(&stats.stdout).into_owned();
    let prefix = format!("queries-{transport} ");
    let n = stats.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|n| n.parse().ok()).unwrap_or(0);
    (n, stats)
}

/// What `openssl s_client` says of the server's certificate and ALPN,
/// offering `alpn`.
fn s_client(port: u16, alpn: &str) -> String {
    let out = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}"), "-alpn", alpn])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The EDE lines of a dig answer.
fn ede_lines(r: &str) -> Vec<String> {
    r.lines().filter(|l| l.starts_with("; EDE:")).map(str::to_owned).collect()
}

/// The EDE lines of a dig answer but "from the cache" (EDE 13), which only
/// a question asked a second time gets.
fn ede_lines_but_cached(r: &str) -> Vec<String> {
    ede_lines(r).into_iter().filter(|l| !l.starts_with("; EDE: 13 ")).collect()
}

/// `candor serve` over the lab with plain DNS on `port` and an encrypted
/// listener (`--tls-listen` or `--https-listen`, and its port), the
/// certificate `make_cert` left in `dir`, the control socket in `dir`.
fn serve_encrypted(dir: &Path, lab_port: u16, port: u16, (flag, enc_port): (&str, u16)) -> Command {
    let mut c = serve_over_lab(dir, lab_port);
    c.args(["--no-cache-state", "--listen", &format!("127.0.0.1:{port}")])
        .args([flag, &format!("127.0.0.1:{enc_port}")])
        .arg("--tls-cert")
        .arg(dir.join("cert.pem"))
        .arg("--tls-key")
        .arg(dir.join("key.pem"))
        .arg("--control")
        .arg(dir.join("control.sock"));
    c
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs kdig, dig, openssl and the lab's tools")]
fn dns_over_tls_answers_like_udp_pads_and_takes_a_new_certificate_on_sighup() {
    let dir = scratch("dot");
    make_cert(&dir, "candor-one.test");
    let (lab_port, port, tls_port) = (free_port(), free_port(), free_port());
    let _lab = start_lab(&dir, "127.79.0.0", lab_port);
    let log = std::fs::File::create(dir.join("serve.log")).unwrap();
    let serve = Guard(
        serve_encrypted(&dir, lab_port, port, ("--tls-listen", tls_port))
            .args(["--log-level", "info"])
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    wait_for("candor serve", || kdig(tls_port, &["valid.test.", "A"]).contains("status: NOERROR"));

    // kdig: TLS 1.3, AD, and a padded answer to a padded query.
    let r = kdig(tls_port, &["+dnssec", "+padding", "valid.test.", "A"]);
    assert!(r.contains("TLS1.3") && r.contains("status: NOERROR"), "{r}");
    assert!(r.lines().any(|l| l.starts_with(";; Flags:") && l.contains(" ad")), "AD over TLS: {r}");
    assert!(r.contains(";; PADDING: "), "{r}");
    let received: usize = r
        .lines()
        .find_map(|l| l.strip_prefix(";; Received ").and_then(|x| x.strip_suffix(" B")))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(received % 468, 0, "padded to 468-octet blocks: {r}");
    // An unpadded query (kdig pads over TLS unless told not to): none.
    assert!(!kdig(tls_port, &["+dnssec", "+nopadding", "valid.test.", "A"]).contains("PADDING"));

    // dig over TLS: the same SERVFAIL and EDE texts as over UDP.
    let tls = dig(tls_port, &["+tls", "+dnssec", "rrsig-exp-a.test.", "A"]);
    assert!(tls.contains("status: SERVFAIL") && tls.contains("(TLS)"), "{tls}");
    let udp = dig(port, &["+dnssec", "rrsig-exp-a.test.", "A"]);
    assert!(ede_lines(&tls).iter().any(|l| l.starts_with("; EDE: 7 (Signature Expired)")), "{tls}");
    // Asked second, the UDP answer comes from the cache and says so (EDE
    // 13); the rest is the same.
    assert_eq!(ede_lines_but_cached(&tls), ede_lines_but_cached(&udp));

    // Counted as TLS.
    let (tls_queries, stats) = queries_over(&dir, "tls");
    assert!(tls_queries >= 4, "{stats}");

    // The certificate, and ALPN dot.
    let c = s_client(tls_port, "dot");
    assert!(c.contains("CN = candor-one.test") || c.contains("CN=candor-one.test"), "{c}");
    assert!(c.contains("ALPN protocol: dot"), "{c}");

    // Renewed on disk, then SIGHUP: the next handshake shows it.
    make_cert(&dir, "candor-two.test");
    let pid = serve.0.id().to_string();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    wait_for("the reload", || {
        std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default().contains("reload: TLS certificate from")
    });
    let c = s_client(tls_port, "dot");
    assert!(c.contains("CN = candor-two.test") || c.contains("CN=candor-two.test"), "{c}");
    assert!(kdig(tls_port, &["valid.test.", "A"]).contains("status: NOERROR"));
    std::thread::sleep(Duration::from_millis(100));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tls_listen_without_a_certificate_or_a_bad_cookie_secret_is_a_configuration_error() {
    for listen in ["--tls-listen", "--https-listen"] {
        let out = Command::new(env!("CARGO_BIN_EXE_candor"))
            .args(["serve", "--listen", "127.0.0.1:0", listen, "127.0.0.1:0", "--no-cache-state", "--no-rfc5011"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(78));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("tls-listen and https-listen need tls-cert and tls-key"), "{listen}: {err}");
    }
    let dir = scratch("dot-bad");
    std::fs::write(dir.join("cert.pem"), "not a certificate\n").unwrap();
    std::fs::write(dir.join("key.pem"), "not a key\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_candor"))
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0", "--no-cache-state", "--no-rfc5011"])
        .arg("--tls-cert")
        .arg(dir.join("cert.pem"))
        .arg("--tls-key")
        .arg(dir.join("key.pem"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cert.pem") && err.contains("no CERTIFICATE"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_candor"))
        .args(["serve", "--listen", "127.0.0.1:0", "--cookie-secret", "abc", "--no-cache-state", "--no-rfc5011"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cookie-secret: expected 32 hex digits"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig and the lab's tools")]
fn a_udp_flood_from_one_network_is_rate_limited_while_another_and_valid_cookies_are_answered() {
    use candor_wire::{Message, Question, RType, Rcode};
    let dir = scratch("rrl");
    let (lab_port, port) = (free_port(), free_port());
    let _lab = start_lab(&dir, "127.81.0.0", lab_port);
    let _serve = Guard(
        serve_over_lab(&dir, lab_port)
            .args(["--no-cache-state", "--listen", &format!("127.0.0.1:{port}"), "--rate-limit", "20"])
            .arg("--control")
            .arg(dir.join("control.sock"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for("candor serve", || dig(port, &["+tcp", "valid.test.", "A"]).contains("status: NOERROR"));
    std::thread::sleep(Duration::from_secs(1));
    // 200 questions at once from 127.0.0.1.
    let flood = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for id in 0..200u16 {
        let q = Message::query(id, Question::new("valid.test.".parse().unwrap(), RType::A));
        flood.send_to(&q.to_wire().unwrap(), ("127.0.0.1", port)).unwrap();
    }
    flood.set_read_timeout(Some(Duration::from_millis(700))).unwrap();
    let (mut answered, mut truncated) = (0, 0);
    let mut buf = [0u8; 2048];
    while let Ok(n) = flood.recv(&mut buf) {
        let m = Message::from_wire(&buf[..n]).unwrap();
        if m.header.flags.tc {
            truncated += 1;
        } else if m.header.rcode == Rcode::NOERROR && !m.answers.is_empty() {
            answered += 1;
        }
    }
    assert!((20..=40).contains(&answered), "the burst and a little refill: {answered}");
    assert!(truncated >= 60 && answered + truncated < 200, "{answered} answered, {truncated} truncated");
    // Another /24 is not touched, nor is TCP from the flooding one.
    let other = std::net::UdpSocket::bind("127.0.1.1:0").unwrap();
    other.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let q = Message::query(7, Question::new("valid.test.".parse().unwrap(), RType::A));
    other.send_to(&q.to_wire().unwrap(), ("127.0.0.1", port)).unwrap();
    let n = other.recv(&mut buf).unwrap();
    let m = Message::from_wire(&buf[..n]).unwrap();
    assert!(m.header.rcode == Rcode::NOERROR && !m.answers.is_empty() && !m.header.flags.tc);
    assert!(dig(port, &["+tcp", "valid.test.", "A"]).contains("status: NOERROR"));

    // Cookies: a client that has a valid server cookie is exempt from the
    // limit; one with only a client cookie gets BADCOOKIE and a fresh
    // cookie where others would slip (TC=1).
    const CLIENT: [u8; 8] = *b"cookie!!";
    let cookied = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    cookied.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let ask = |id: u16, server: Vec<u8>| {
        let mut q = Message::query(id, Question::new("valid.test.".parse().unwrap(), RType::A));
        let cookie = candor_wire::EdnsOption::Cookie { client: CLIENT, server };
        q.edns = Some(candor_wire::Edns { options: vec![cookie], ..candor_wire::Edns::default() });
        cookied.send_to(&q.to_wire().unwrap(), ("127.0.0.1", port)).unwrap();
    };
    let server_cookie = |m: &Message| {
        m.edns.as_ref().and_then(|e| {
            e.options.iter().find_map(|o| match o {
                candor_wire::EdnsOption::Cookie { client: CLIENT, server } => Some(server.clone()),
                _ => None,
            })
        })
    };
    std::thread::sleep(Duration::from_secs(1));
    ask(1000, Vec::new());
    let n = cookied.recv(&mut buf).unwrap();
    let first = Message::from_wire(&buf[..n]).unwrap();
    let valid = server_cookie(&first).expect("a server cookie");
    assert_eq!(valid.len(), 16, "RFC 9018: version, reserved, timestamp, hash");
    // The network floods again; then both kinds of cookie ask. The
    // bucket refills while candor works through the flood, so on a loaded
    // machine the cookie-only queries may still fit in the rate: a round
    // repeats (at most five) until one of them is limited. A query with a
    // valid server cookie is answered in full in every round, and no
    // cookie-only query is ever told to retry over TCP (TC=1).
    let mut rounds = 0;
    loop {
        rounds += 1;
        for id in 0..60u16 {
            let q = Message::query(id, Question::new("valid.test.".parse().unwrap(), RType::A));
            flood.send_to(&q.to_wire().unwrap(), ("127.0.0.1", port)).unwrap();
        }
        // (Four in a row: with a slip of 2, two of them slip if limited.)
        for id in 0..4 {
            ask(2000 + id, Vec::new());
        }
        for id in 0..4 {
            ask(3000 + id, valid.clone());
        }
        let (mut exempt, mut bad_cookie) = (0, 0);
        while let Ok(n) = cookied.recv(&mut buf) {
            let m = Message::from_wire(&buf[..n]).unwrap();
            match m.header.id {
                3000..=3003 if m.header.rcode == Rcode::NOERROR && !m.answers.is_empty() => exempt += 1,
                2000..=2003 if m.header.rcode == Rcode::BADCOOKIE => {
                    assert_eq!(server_cookie(&m).map(|c| c.len()), Some(16), "a fresh cookie with BADCOOKIE");
                    bad_cookie += 1;
                }
                2000..=2003 => assert!(!m.header.flags.tc, "a cookie-only query slips as BADCOOKIE, not TC=1"),
                _ => {}
            }
        }
        assert_eq!(exempt, 4, "round {rounds}: every query with a valid server cookie answered in full");
        if bad_cookie >= 1 {
            break;
        }
        assert!(rounds < 5, "BADCOOKIE where a query without a valid server cookie slips: none in {rounds} rounds");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The HTTP status line and headers `curl` got for `url` (`extra` before it).
fn curl_head(extra: &[&str], url: &str) -> String {
    let out = Command::new("curl").args(["-sk", "-o", "/dev/null", "-D", "-"]).args(extra).arg(url).output().unwrap();
    String::from_utf8_lossy(&out.stdout).to_lowercase()
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs kdig, dig, curl, openssl and the lab's tools")]
fn dns_over_https_answers_kdig_dig_and_curl_like_udp_and_refuses_bad_requests() {
    use std::io::{Read, Write};
    let dir = scratch("doh");
    make_cert(&dir, "candor-doh.test");
    let (lab_port, port, https_port) = (free_port(), free_port(), free_port());
    let _lab = start_lab(&dir, "127.84.0.0", lab_port);
    let _serve = Guard(
        serve_encrypted(&dir, lab_port, port, ("--https-listen", https_port)).stderr(Stdio::null()).spawn().unwrap(),
    );
    let ca = format!("+tls-ca={}", dir.join("cert.pem").display());
    let kdig_https = |args: &[&str]| kdig(https_port, &[&["+https", &ca], args].concat());
    wait_for("candor serve", || kdig_https(&["valid.test.", "A"]).contains("status: NOERROR"));

    // kdig: HTTP/2 POST and GET, AD, a padded answer to a padded query.
    let r = kdig_https(&["+dnssec", "+padding", "valid.test.", "A"]);
    assert!(r.contains("(HTTP/2-POST)") && r.contains("(status: 200)"), "{r}");
    assert!(r.lines().any(|l| l.starts_with(";; Flags:") && l.contains(" ad")), "AD over HTTPS: {r}");
    let received: usize = r
        .lines()
        .find_map(|l| l.strip_prefix(";; Received ").and_then(|x| x.strip_suffix(" B")))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(received % 468, 0, "padded to 468-octet blocks: {r}");
    // (kdig pads over TLS unless told not to.)
    let r = kdig(https_port, &["+https-get", &ca, "+nopadding", "+dnssec", "valid.test.", "A"]);
    assert!(r.contains("(HTTP/2-GET)") && r.contains("status: NOERROR") && !r.contains("PADDING"), "{r}");

    // dig over HTTPS (POST and GET): the same SERVFAIL and EDE texts as over UDP.
    let https = dig(https_port, &["+https", "+dnssec", "rrsig-exp-a.test.", "A"]);
    assert!(https.contains("status: SERVFAIL") && https.contains("(HTTPS)"), "{https}");
    let get = dig(https_port, &["+https-get", "+dnssec", "rrsig-exp-a.test.", "A"]);
    assert!(get.contains("status: SERVFAIL") && get.contains("(HTTPS-GET)"), "{get}");
    let udp = dig(port, &["+dnssec", "rrsig-exp-a.test.", "A"]);
    assert!(ede_lines_but_cached(&https).iter().any(|l| l.starts_with("; EDE: 7 (Signature Expired)")), "{https}");
    assert_eq!(ede_lines_but_cached(&https), ede_lines_but_cached(&udp));
    assert_eq!(ede_lines_but_cached(&get), ede_lines_but_cached(&udp));

    // curl: the HTTP side. A GET (ID 0, RFC 8484 §4.1) for valid.test/A.
    let base = format!("https://127.0.0.1:{https_port}/dns-query");
    let get = curl_head(&[], &format!("{base}?dns=AAABAAABAAAAAAAABXZhbGlkBHRlc3QAAAEAAQ"));
    assert!(get.starts_with("http/2 200"), "{get}");
    assert!(get.contains("content-type: application/dns-message"), "{get}");
    let max_age: u32 = get
        .lines()
        .find_map(|l| l.strip_prefix("cache-control: max-age="))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    assert!((1..=300).contains(&max_age), "the smallest TTL, counted down: {get}");
    // HTTP/1.1 too; then the errors.
    assert!(
        curl_head(&["--http1.1"], &format!("{base}?dns=AAABAAABAAAAAAAABXZhbGlkBHRlc3QAAAEAAQ"))
            .starts_with("http/1.1 200")
    );
    assert!(curl_head(&[], &format!("{base}?dns=not+base64")).starts_with("http/2 400"));
    assert!(curl_head(&[], &base).starts_with("http/2 400"), "no dns variable");
    assert!(curl_head(&[], &format!("https://127.0.0.1:{https_port}/")).starts_with("http/2 404"));
    let put = curl_head(&["-X", "PUT"], &base);
    assert!(put.starts_with("http/2 405") && put.contains("allow: get, post"), "{put}");
    let text = curl_head(&["-H", "content-type: text/plain", "--data-binary", "hello"], &base);
    assert!(text.starts_with("http/2 415"), "{text}");
    let big = dir.join("big");
    std::fs::write(&big, vec![0u8; 70_000]).unwrap();
    let big = format!("@{}", big.display());
    let too_big = curl_head(&["-H", "content-type: application/dns-message", "--data-binary", &big], &base);
    assert!(too_big.starts_with("http/2 413"), "{too_big}");

    // curl --doh-url: a page at a lab name's loopback address, found
    // through candor (ns.valid.test. has the lab's 127.84.x address).
    let ns = dig(port, &["+short", "ns.valid.test.", "A"]).trim().to_owned();
    assert!(ns.starts_with("127.84."), "{ns}");
    let web = std::net::TcpListener::bind((ns.as_str(), 0)).unwrap();
    let web_port = web.local_addr().unwrap().port();
    let page = std::thread::spawn(move || {
        let (mut s, _) = web.accept().unwrap();
        let mut req = [0u8; 1024];
        let n = s.read(&mut req).unwrap();
        let host = String::from_utf8_lossy(&req[..n]).lines().find(|l| l.starts_with("Host:")).map(str::to_owned);
        s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 19\r\nconnection: close\r\n\r\nhello from the lab\n").unwrap();
        host
    });
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", "--doh-url", &base, "--cacert"])
        .arg(dir.join("cert.pem"))
        .arg(format!("http://ns.valid.test:{web_port}/"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello from the lab\n", "{out:?}");
    assert_eq!(page.join().unwrap().as_deref(), Some(format!("Host: ns.valid.test:{web_port}").as_str()));

    // The certificate, ALPN h2; the queries counted as HTTPS.
    let c = s_client(https_port, "h2");
    assert!(c.contains("ALPN protocol: h2") && c.contains("candor-doh.test"), "{c}");
    let (https_queries, stats) = queries_over(&dir, "https");
    assert!(https_queries >= 8, "{stats}");

    // DNS cookies: dig gets a server cookie, and candor accepts it when
    // it comes back (the same cookie returned, not a new one); a forged
    // one is replaced; over TLS the same.
    let cookie = |r: &str| r.lines().find_map(|l| l.strip_prefix("; COOKIE: ")).map(str::to_owned);
    let first = cookie(&dig(port, &["+cookie", "valid.test.", "A"])).unwrap();
    assert!(first.ends_with(" (good)"), "{first}");
    let first = first.trim_end_matches(" (good)").to_owned();
    assert_eq!(first.len(), 48, "8 octets of client cookie, 16 of server cookie: {first}");
    let again = cookie(&dig(port, &[&format!("+cookie={first}"), "valid.test.", "A"])).unwrap();
    assert_eq!(again, format!("{first} (good)"), "accepted as it is");
    let forged = format!("{}0100000000000000{}", &first[..16], "00".repeat(8));
    let replaced = cookie(&dig(port, &[&format!("+cookie={forged}"), "valid.test.", "A"])).unwrap();
    assert!(replaced.starts_with(&first[..16]) && !replaced.contains(&forged[16..]), "{replaced}");
    let r = kdig_https(&["+cookie", "valid.test.", "A"]);
    assert!(r.contains("COOKIE:") && r.contains("status: NOERROR"), "{r}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dig and the lab's tools")]
fn cookie_queries_are_answered_from_the_reply_cache_each_with_its_own_server_cookie() {
    use candor_wire::{Edns, EdnsOption, Message, Question, RType, Rcode};
    let dir = scratch("cookie-hits");
    let (lab_port, port) = (free_port(), free_port());
    let _lab = start_lab(&dir, "127.88.0.0", lab_port);
    let _serve = Guard(
        serve_over_lab(&dir, lab_port)
            // One worker: one reply cache, whatever socket the kernel picks.
            .args(["--no-cache-state", "--workers", "1", "--listen", &format!("127.0.0.1:{port}"), "--control"])
            .arg(dir.join("control.sock"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for("candor serve", || dig(port, &["+tcp", "valid.test.", "A"]).contains("status: NOERROR"));
    let hits = || {
        let (_, stats) = queries_over(&dir, "udp");
        stats.lines().find_map(|l| l.strip_prefix("reply-cache-hits ")).and_then(|n| n.parse::<u64>().ok()).unwrap()
    };
    // One query with `client`'s cookie (and `server`'s, if any) from `from`:
    // the reply's rcode, answer count and server cookie.
    let ask = |from: &str, client: [u8; 8], server: Vec<u8>| {
        let sock = std::net::UdpSocket::bind((from, 0)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut q = Message::query(0x4242, Question::new("valid.test.".parse().unwrap(), RType::A));
        q.edns = Some(Edns { options: vec![EdnsOption::Cookie { client, server }], ..Edns::default() });
        sock.send_to(&q.to_wire().unwrap(), ("127.0.0.1", port)).unwrap();
        let mut buf = [0u8; 2048];
        let n = sock.recv(&mut buf).unwrap();
        let m = Message::from_wire(&buf[..n]).unwrap();
        let cookie = m.edns.as_ref().and_then(|e| {
            e.options.iter().find_map(|o| match o {
                EdnsOption::Cookie { client: c, server } if *c == client => Some(server.clone()),
                _ => None,
            })
        });
        (m.header.rcode, m.answers.len(), cookie.expect("the client's cookie comes back with a server cookie"))
    };
    // The first asks fill the cache; then the reply cache answers.
    let (a, b) = (*b"client-a", *b"client-b");
    for _ in 0..3 {
        assert_eq!(ask("127.0.0.1", a, Vec::new()).0, Rcode::NOERROR);
    }
    let before = hits();
    // Another client, from another address: its own client cookie and a
    // server cookie made for it, from the reply cache.
    let (rcode, answers, theirs) = ask("127.0.0.2", b, Vec::new());
    assert_eq!((rcode, answers, theirs.len()), (Rcode::NOERROR, 1, 16));
    // That cookie is valid for that client: sent back, it comes back as it
    // is (a fresh one is not renewed), again from the reply cache.
    let (_, _, again) = ask("127.0.0.2", b, theirs.clone());
    assert_eq!(again, theirs, "a valid server cookie is echoed, not replaced");
    // The same cookie from another address is not valid there: a new one.
    let (_, _, elsewhere) = ask("127.0.0.1", b, theirs.clone());
    assert_ne!(elsewhere, theirs, "a server cookie is bound to the client's address");
    assert_eq!(hits() - before, 3, "all three answered from the reply cache");
    let _ = std::fs::remove_dir_all(&dir);
}
