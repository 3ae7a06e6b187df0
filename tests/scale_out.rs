//! Scaling out: candor behind a load balancer that speaks the PROXY
//! protocol (v2). A trusted proxy's header names the real client, which
//! the ACL and the query log then see; a proxy's query without one is
//! dropped; and the shipped dnsdist configuration (Debian's dnsdist)
//! spreads queries over two candor nodes, takes a killed one out of
//! rotation and passes EDE options through. Loopback only: the lab at
//! 127.75/16 and 127.76/16, clients at 127.0.0.2.

mod common;
use common::{Guard, dig, free_port, scratch, serve_over_lab, start_lab, wait_for};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use candor_wire::{Message, Question, RType, Rcode};

/// A candor node on `port` over the lab in `dir`, trusting 127.0.0.1 as
/// a proxy, logging queries to `dir/q-PORT.jsonl`.
fn start_node(dir: &Path, lab_port: u16, port: u16, extra: &[&str]) -> Guard {
    let log = std::fs::File::create(dir.join(format!("serve-{port}.log"))).unwrap();
    Guard(
        serve_over_lab(dir, lab_port)
            .args(["--log-level", "info", "--no-cache-state", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--proxy-allow", "127.0.0.1/32", "--control"])
            .arg(dir.join(format!("control-{port}.sock")))
            .arg("--query-log")
            .arg(dir.join(format!("q-{port}.jsonl")))
            .args(extra)
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

fn query(name: &str) -> Vec<u8> {
    let mut q = Message::query(0x4242, Question::new(name.parse().unwrap(), RType::A));
    q.edns = Some(candor_wire::Edns::default());
    q.to_wire().unwrap()
}

/// Send `payload` over UDP from 127.0.0.1 to `port`: the reply, if any.
fn udp(port: u16, payload: &[u8]) -> Option<Message> {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
    s.send_to(payload, ("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 4096];
    let n = s.recv(&mut buf).ok()?;
    Some(Message::from_wire(&buf[..n]).unwrap())
}

fn proxied(client: &str, port: u16, udp: bool, dns: &[u8]) -> Vec<u8> {
    let client: SocketAddr = client.parse().unwrap();
    let mut h = candor_server::proxy::header(client, SocketAddr::from(([127, 0, 0, 1], port)), udp, &[]);
    h.extend_from_slice(dns);
    h
}

fn log_lines(dir: &Path, port: u16) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join(format!("q-{port}.jsonl"))).unwrap_or_default();
    text.lines().map(str::to_owned).collect()
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs the lab's tools")]
fn a_trusted_proxys_header_names_the_client_the_acl_and_the_log_see() {
    let dir = scratch("proxy-v2");
    let (lab_port, port) = (free_port(), free_port());
    let _lab = start_lab(&dir, "127.75.0.0", lab_port);
    let acl = ["--allow", "192.0.2.0/24", "--refuse", "192.0.2.66/32", "--drop", "192.0.2.128/25"];
    let _node = start_node(&dir, lab_port, port, &acl);
    wait_for("candor serve", || udp(port, &proxied("192.0.2.7:5353", port, true, &query("valid.test."))).is_some());
    // For an allowed client: answered (to the proxy).
    let r = udp(port, &proxied("192.0.2.7:5353", port, true, &query("valid.test."))).unwrap();
    assert_eq!((r.header.rcode, r.header.id), (Rcode::NOERROR, 0x4242));
    assert!(!r.answers.is_empty());
    // For a client outside the ACL: refused, though the proxy itself is
    // trusted.
    let r = udp(port, &proxied("198.51.100.1:5353", port, true, &query("valid.test."))).unwrap();
    assert_eq!(r.header.rcode, Rcode::REFUSED);
    // The ACL's other actions, for the client the header names: a host
    // refused inside the allowed range (with EDE 18), a range dropped.
    let r = udp(port, &proxied("192.0.2.66:5353", port, true, &query("valid.test."))).unwrap();
    assert_eq!(r.header.rcode, Rcode::REFUSED);
    let ede = r.edns.as_ref().and_then(|e| e.ede()).map(|e| e.code);
    assert_eq!(ede, Some(18), "Prohibited");
    assert!(udp(port, &proxied("192.0.2.200:5353", port, true, &query("valid.test."))).is_none(), "dropped");
    // The proxy without a header: dropped, it could be anyone's query.
    assert!(udp(port, &query("valid.test.")).is_none(), "dropped");
    // Over TCP the header opens the connection.
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let q = query("valid.test.");
    let mut framed = proxied("192.0.2.8:40000", port, false, &[]);
    framed.extend_from_slice(&u16::try_from(q.len()).unwrap().to_be_bytes());
    framed.extend_from_slice(&q);
    tcp.write_all(&framed).unwrap();
    let mut len = [0u8; 2];
    tcp.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
    tcp.read_exact(&mut body).unwrap();
    assert_eq!(Message::from_wire(&body).unwrap().header.rcode, Rcode::NOERROR);
    // The log names the real clients, never the proxy.
    let mut lines = Vec::new();
    wait_for("the query log", || {
        lines = log_lines(&dir, port);
        lines.iter().any(|l| l.contains("\"client\":\"192.0.2.8\""))
    });
    assert!(lines.iter().any(|l| l.contains("\"client\":\"198.51.100.1\"") && l.contains("REFUSED")), "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains("\"client\":\"127.0.0.1\"")), "{lines:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `dig -b 127.0.0.2 @127.0.0.1 -p PORT ARGS`: a client that is not the proxy.
fn dig_from_2(port: u16, args: &[&str]) -> String {
    let mut all = vec!["-b", "127.0.0.2"];
    all.extend_from_slice(args);
    dig(port, &all)
}

#[test]
#[cfg_attr(not(candor_tools), ignore = "needs dnsdist and the lab's tools")]
fn dnsdist_spreads_queries_over_two_nodes_and_takes_a_killed_one_out_of_rotation() {
    let dir = scratch("dnsdist");
    let (lab_port, a, b, front) = (free_port(), free_port(), free_port(), free_port());
    let _lab = start_lab(&dir, "127.76.0.0", lab_port);
    let mut node_a = start_node(&dir, lab_port, a, &[]);
    let _node_b = start_node(&dir, lab_port, b, &[]);
    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/dnsdist/dnsdist.conf");
    let dnsdist_log = dir.join("dnsdist.log");
    let _dnsdist = Guard(
        Command::new("dnsdist")
            .args(["--supervised", "--disable-syslog", "-C"])
            .arg(&conf)
            .env("DNSDIST_LISTEN", format!("127.0.0.1:{front}"))
            .env("CANDOR_NODES", format!("127.0.0.1:{a} 127.0.0.1:{b}"))
            .env("CANDOR_CHECK_NAME", "valid.test.")
            .env("DNSDIST_ACL", "127.0.0.0/8")
            .current_dir(&dir)
            .stdout(std::fs::File::create(&dnsdist_log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let marked = |node: &str, state: &str| {
        let text = std::fs::read_to_string(&dnsdist_log).unwrap_or_default();
        text.lines().rfind(|l| l.contains(node)).is_some_and(|l| l.contains(&format!("as '{state}'")))
    };
    wait_for("both nodes up", || marked("candor-1", "up") && marked("candor-2", "up"));
    // Distinct names, so every query is a new resolution somewhere.
    for i in 0..24 {
        let r = dig_from_2(front, &[&format!("n{i}.w.wildcard.test."), "A"]);
        assert!(r.contains("status: NOERROR"), "{r}");
    }
    let from_client = |port| log_lines(&dir, port).iter().filter(|l| l.contains("\"client\":\"127.0.0.2\"")).count();
    wait_for("the query logs", || from_client(a) + from_client(b) >= 24);
    let (on_a, on_b) = (from_client(a), from_client(b));
    assert!(on_a > 0 && on_b > 0, "spread over both: {on_a} and {on_b}");
    // EDE options pass through dnsdist untouched.
    let r = dig_from_2(front, &["+dnssec", "rrsig-exp-a.test.", "A"]);
    assert!(r.contains("status: SERVFAIL") && r.contains("EDE: 7 (Signature Expired)"), "{r}");
    // Node A dies: dnsdist marks it down and every query goes to B.
    let _ = node_a.0.kill();
    let _ = node_a.0.wait();
    wait_for("node A out of rotation", || marked("candor-1", "down"));
    let before = from_client(b);
    for i in 0..10 {
        let r = dig_from_2(front, &[&format!("m{i}.w.wildcard.test."), "A"]);
        assert!(r.contains("status: NOERROR"), "{r}");
    }
    wait_for("node B's log", || from_client(b) >= before + 10);
    let _ = std::fs::remove_dir_all(&dir);
}
