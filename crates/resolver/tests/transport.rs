//! The production transport on loopback: real answers from the lab over
//! UDP and TCP, and nothing but the right answer accepted.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use candor_lab::{Lab, LabConfig, serve};
use candor_resolver::{NetTransport, Protocol, Transport, TransportError};
use candor_wire::{Edns, Message, Question, RType, Rcode};
use tokio::net::UdpSocket;

fn query(name: &str, qtype: RType, id: u16) -> Vec<u8> {
    let mut q = Message::query(id, Question::new(name.parse().unwrap(), qtype));
    q.edns = Some(Edns { dnssec_ok: true, ..Edns::default() });
    q.to_wire().unwrap()
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carries_queries_to_the_lab_over_udp_and_tcp() {
    let mut cfg = LabConfig::new(1_800_000_000);
    cfg.block = Ipv4Addr::new(127, 58, 0, 0);
    cfg.port = free_port();
    let lab = Lab::build(cfg.clone()).unwrap();
    let running = serve(&lab).await.unwrap();
    let root = SocketAddr::new(Ipv4Addr::new(127, 58, 0, 1).into(), cfg.port);
    let t = NetTransport::new();
    let q = query(".", RType::DNSKEY, 0xbeef);
    for proto in [Protocol::Udp, Protocol::Tcp] {
        let resp = t.query(root, proto, &q, Duration::from_secs(5)).await.unwrap();
        let m = Message::from_wire(&resp).unwrap();
        assert_eq!((m.header.id, m.header.rcode), (0xbeef, Rcode::NOERROR), "{proto:?}: the caller's ID comes back");
        assert!(m.answers.iter().any(|r| r.rtype() == RType::DNSKEY), "{proto:?}");
    }
    running.stop();
}

#[tokio::test]
async fn ignores_spoofed_answers_and_times_out() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let q = query("www.example.", RType::A, 7);
    let spoofer = tokio::spawn(async move {
        let mut buf = vec![0u8; 512];
        let (n, client) = server.recv_from(&mut buf).await.unwrap();
        let asked = Message::from_wire(&buf[..n]).unwrap();
        let answer = |id: u16, name: &str| {
            let mut m = Message::query(id, Question::new(name.parse().unwrap(), RType::A));
            m.header.flags.qr = true;
            m.header.rcode = Rcode::NOERROR;
            m.to_wire().unwrap()
        };
        // From another port: ignored.
        let other = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        other.send_to(&answer(asked.header.id, "www.example."), client).await.unwrap();
        // Wrong ID, wrong question: ignored.
        server.send_to(&answer(asked.header.id.wrapping_add(1), "www.example."), client).await.unwrap();
        server.send_to(&answer(asked.header.id, "www.other."), client).await.unwrap();
        // The real answer (echoing the name as asked, in its random case),
        // marked NXDOMAIN so it can be told apart.
        let echoed = asked.question().unwrap().name.to_string();
        let mut real = Message::from_wire(&answer(asked.header.id, &echoed)).unwrap();
        real.header.rcode = Rcode::NXDOMAIN;
        server.send_to(&real.to_wire().unwrap(), client).await.unwrap();
        // Keep the socket open (and silent) for the timeout test below.
        let (_, _) = server.recv_from(&mut buf).await.unwrap();
    });
    let t = NetTransport::new();
    let resp = t.query(addr, Protocol::Udp, &q, Duration::from_secs(5)).await.unwrap();
    let m = Message::from_wire(&resp).unwrap();
    assert_eq!((m.header.id, m.header.rcode), (7, Rcode::NXDOMAIN));
    // The server now stays silent: a timeout, not a hang.
    let err = t.query(addr, Protocol::Udp, &q, Duration::from_millis(200)).await.unwrap_err();
    assert_eq!(err, TransportError::Timeout(addr));
    spoofer.abort();
    // Nothing listens on TCP there.
    let err = t.query(addr, Protocol::Tcp, &q, Duration::from_secs(2)).await.unwrap_err();
    assert!(matches!(err, TransportError::Unreachable { kind: std::io::ErrorKind::ConnectionRefused, .. }), "{err:?}");
    assert_eq!(t.query(addr, Protocol::Udp, &[1, 2, 3], Duration::from_secs(1)).await, Err(TransportError::BadQuery));
}
