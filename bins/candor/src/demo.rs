//! `candor demo`: the lab and the resolver in one process on loopback;
//! every lab case is resolved through the real server socket, as a stub
//! would ask, and compared with what the catalogue expects.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use candor_anchor::Anchors;
use candor_lab::{Lab, LabConfig, Verdict, serve};
use candor_resolver::{Config, ManualClock, NetTransport, Outbound, Resolver};
use candor_wire::{Edns, EdnsOption, Message, Name, Question, RData, RType, Rcode, Record};
use tokio::net::UdpSocket;

use crate::DemoArgs;
use candor_server::{Acl, listen};

/// One stub query over UDP (DO set, EDNS 1232), falling back to TCP on TC.
async fn stub_query(server: SocketAddr, qname: &Name, qtype: RType) -> Option<Message> {
    let mut q = Message::query(0x5151, Question::new(qname.clone(), qtype));
    q.edns = Some(Edns { dnssec_ok: true, ..Edns::default() });
    let wire = q.to_wire().ok()?;
    let sock = UdpSocket::bind("127.0.0.1:0").await.ok()?;
    sock.send_to(&wire, server).await.ok()?;
    let mut buf = vec![0u8; 65_535];
    let n = tokio::time::timeout(Duration::from_secs(10), sock.recv(&mut buf)).await.ok()?.ok()?;
    Message::from_wire(buf.get(..n)?).ok()
}

struct Row {
    case: String,
    rcode: Rcode,
    ad: bool,
    ede: Option<(u16, String)>,
    expected: String,
    ok: bool,
    /// Evidence the catalogue derives from the broken zone that the
    /// extra-texts lack.
    missing: Vec<String>,
}

/// Does a stub's view match the catalogue's expectation?
fn judge(m: &Message, verdict: Verdict, ede: Option<u16>) -> bool {
    let got_ede = m.edns.as_ref().and_then(|e| e.ede()).map(|e| e.code);
    let servfail = m.header.rcode == Rcode::SERVFAIL;
    let verdict_ok = match verdict {
        Verdict::Secure => m.header.flags.ad && !servfail,
        Verdict::Insecure => !m.header.flags.ad && !servfail,
        Verdict::Bogus | Verdict::Servfail => servfail,
    };
    verdict_ok && got_ede == ede
}

pub(crate) fn run(args: &DemoArgs) -> u8 {
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("candor demo: cannot start the runtime: {e}");
            return 1;
        }
    };
    rt.block_on(demo(args))
}

async fn demo(args: &DemoArgs) -> u8 {
    crate::init_logging("warn", false);
    let now = match crate::lab::parse_now(None) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("candor demo: {e}");
            return 1;
        }
    };
    let mut cfg = LabConfig::new(now);
    cfg.block = args.block;
    cfg.port = args.lab_port;
    let lab = match Lab::build(cfg) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("candor demo: building the lab failed: {e}");
            return 1;
        }
    };
    let lab_servers = match serve(&lab).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("candor demo: {e} (another lab running? try --block or --lab-port)");
            return 1;
        }
    };
    let mut anchors = Anchors::empty();
    let ds: Vec<Record> = lab.root_ds.iter().map(|d| Record::new(Name::root(), 0, RData::Ds(d.clone()))).collect();
    if let Err(e) = anchors.add_records(&ds) {
        eprintln!("candor demo: {e}");
        return 1;
    }
    let root = IpAddr::V4(Ipv4Addr::from(u32::from(args.block) + 1));
    let mut config = Config::new(vec![root], anchors);
    config.port = args.lab_port;
    config.outbound = Outbound {
        allow: Some(vec![candor_resolver::Prefix { addr: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), len: 8 }]),
        ..Outbound::default()
    };
    config.timeout = Duration::from_millis(400);

    // One resolver, and one server socket, per clock offset.
    let mut offsets: Vec<i64> = lab.cases.iter().map(|(c, _)| c.clock_offset).collect();
    offsets.sort_unstable();
    offsets.dedup();
    let mut servers: BTreeMap<i64, SocketAddr> = BTreeMap::new();
    let mut listeners = Vec::new();
    for (i, off) in offsets.iter().enumerate() {
        let clock = ManualClock::at((now as i64 + off) as u64);
        let resolver = candor_server::Current::new(Resolver::new(
            config.clone(),
            NetTransport::with_case_randomisation(config.case_randomisation),
            clock,
        ));
        let port = if *off == 0 { args.port } else { 0 };
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        match listen(resolver, &[addr], Acl::default(), 1).await {
            Ok(l) => {
                if let Some(b) = l.bound.first() {
                    servers.insert(*off, *b);
                }
                listeners.push(l);
            }
            Err(e) => {
                eprintln!("candor demo: cannot listen on {addr}: {e}");
                return 1;
            }
        }
        let _ = i;
    }
    println!(
        "candor demo: lab of {} zones on {}:{}, resolver on {}",
        lab.zones.len(),
        args.block,
        args.lab_port,
        servers.get(&0).map_or_else(String::new, |a| a.to_string())
    );
    let mut rows = Vec::new();
    for (case, qname) in &lab.cases {
        let Some(server) = servers.get(&case.clock_offset) else { continue };
        let expected = format!("{}/{}", case.verdict.as_str(), case.ede.map_or("-".to_owned(), |e| e.to_string()));
        let row = match stub_query(*server, qname, case.qtype).await {
            Some(m) => {
                let edes: Vec<(u16, String)> = m
                    .edns
                    .as_ref()
                    .map(|e| {
                        e.options
                            .iter()
                            .filter_map(|o| match o {
                                EdnsOption::Ede(x) => Some((x.code, x.text.clone())),
                                _ => None,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let texts: String = edes.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(" | ");
                let missing: Vec<String> =
                    lab.evidence(case, qname).into_iter().filter(|e| !texts.contains(e.as_str())).collect();
                Row {
                    case: case.name.clone(),
                    rcode: m.header.rcode,
                    ad: m.header.flags.ad,
                    ede: edes.first().map(|(c, _)| (*c, texts.clone())),
                    expected,
                    ok: judge(&m, case.verdict, case.ede) && missing.is_empty(),
                    missing,
                }
            }
            None => Row {
                case: case.name.clone(),
                rcode: Rcode::SERVFAIL,
                ad: false,
                ede: None,
                expected,
                ok: false,
                missing: Vec::new(),
            },
        };
        rows.push(row);
    }
    println!("{:<32} {:<9} {:<3} {:<5} {:<16} {:<5} extra-text", "case", "rcode", "AD", "EDE", "expected", "");
    for r in &rows {
        let (code, text) = r.ede.clone().map_or(("-".to_owned(), String::new()), |(c, t)| (c.to_string(), t));
        println!(
            "{:<32} {:<9} {:<3} {:<5} {:<16} {:<5} {}",
            r.case,
            r.rcode.to_string(),
            if r.ad { "ad" } else { "-" },
            code,
            r.expected,
            if r.ok { "OK" } else { "WRONG" },
            text
        );
        if !r.missing.is_empty() {
            println!("{:<32} the extra-text lacks: {}", "", r.missing.join(" | "));
        }
    }
    let wrong = rows.iter().filter(|r| !r.ok).count();
    println!("demo: {} passed, {} failed", rows.len() - wrong, wrong);
    for l in listeners {
        l.stop();
    }
    lab_servers.stop();
    u8::from(wrong > 0)
}
