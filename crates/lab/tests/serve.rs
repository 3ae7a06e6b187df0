//! The lab's servers over real loopback sockets: UDP and TCP answers, and a
//! reload that re-signs without rebinding.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use candor_lab::{Lab, LabConfig, serve};
use candor_wire::{Edns, Message, Question, RData, RType, Rcode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

fn config(now: u64, port: u16) -> LabConfig {
    let mut c = LabConfig::new(now);
    c.block = Ipv4Addr::new(127, 57, 0, 0);
    c.port = port;
    c
}

fn query(name: &str, qtype: RType) -> Vec<u8> {
    let mut q = Message::query(0x4242, Question::new(name.parse().unwrap(), qtype));
    q.edns = Some(Edns { dnssec_ok: true, ..Edns::default() });
    q.to_wire().unwrap()
}

async fn udp(server: SocketAddr, q: &[u8]) -> Message {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.send_to(q, server).await.unwrap();
    let mut buf = vec![0; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), sock.recv(&mut buf)).await.unwrap().unwrap();
    Message::from_wire(&buf[..n]).unwrap()
}

async fn tcp(server: SocketAddr, q: &[u8]) -> Message {
    let mut s = TcpStream::connect(server).await.unwrap();
    s.write_all(&(q.len() as u16).to_be_bytes()).await.unwrap();
    s.write_all(q).await.unwrap();
    let mut len = [0u8; 2];
    s.read_exact(&mut len).await.unwrap();
    let mut buf = vec![0; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut buf).await.unwrap();
    Message::from_wire(&buf).unwrap()
}

fn expiration(m: &Message) -> u32 {
    m.answers
        .iter()
        .find_map(|r| match &r.data {
            RData::Rrsig(s) => Some(s.expiration),
            _ => None,
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_over_udp_and_tcp_and_reloads_in_place() {
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let now = 1_800_000_000;
    let lab = Lab::build(config(now, port)).unwrap();
    let running = serve(&lab).await.unwrap();
    let root = SocketAddr::new(Ipv4Addr::new(127, 57, 0, 1).into(), port);
    assert_eq!(running.bound.first(), Some(&root));

    let q = query(".", RType::DNSKEY);
    let a = udp(root, &q).await;
    assert_eq!((a.header.id, a.header.rcode, a.header.flags.aa), (0x4242, Rcode::NOERROR, true));
    assert_eq!(a, tcp(root, &q).await, "UDP and TCP give the same answer");
    let before = expiration(&a);

    // A day later the zones are re-signed and served on the same sockets.
    running.reload(&Lab::build(config(now + 86_400, port)).unwrap());
    let b = udp(root, &q).await;
    assert_eq!(expiration(&b), before + 86_400);

    // Garbage gets FORMERR with its ID; a response is not answered.
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.send_to(&[0x12, 0x34, 0, 0, 0, 9], root).await.unwrap();
    let mut buf = vec![0; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), sock.recv(&mut buf)).await.unwrap().unwrap();
    let m = Message::from_wire(&buf[..n]).unwrap();
    assert_eq!((m.header.id, m.header.rcode), (0x1234, Rcode::FORMERR));
    running.stop();
}
