//! `candor demo`: the lab and the resolver in one process on loopback;
//! every lab case is resolved through the real server socket, as a stub
//! would ask, and compared with what the catalogue expects.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use candor_anchor::Anchors;
use candor_lab::{Lab, LabConfig, serve};
use candor_resolver::{Config, ManualClock, NetTransport, Outbound, Resolver};
use candor_wire::{Name, RData, Record};

use crate::DemoArgs;
use crate::lab_check::{Compare, Expected, Outcome, Seen, Status, judge, stub_query};
use crate::lab_report::{Format, report};
use candor_server::{Acl, listen};

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

    // One resolver, and one server socket, per clock offset, and one for
    // the cases whose verdict harden-algo-downgrade changes.
    let mut setups: Vec<(i64, bool)> = lab.cases.iter().map(|(c, _)| (c.clock_offset, false)).collect();
    setups.extend(lab.cases.iter().filter(|(c, _)| c.hardened.is_some()).map(|(c, _)| (c.clock_offset, true)));
    setups.sort_unstable();
    setups.dedup();
    let mut servers: BTreeMap<(i64, bool), SocketAddr> = BTreeMap::new();
    let mut listeners = Vec::new();
    for (off, hardened) in setups {
        let clock = ManualClock::at((now as i64 + off) as u64);
        let mut config = config.clone();
        config.validator.all_algorithms = hardened;
        let resolver = candor_server::Current::new(Resolver::new(
            config.clone(),
            NetTransport::with_case_randomisation(config.case_randomisation),
            clock,
        ));
        let port = if (off, hardened) == (0, false) { args.port } else { 0 };
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        match listen(resolver, &[addr], Acl::default(), 1).await {
            Ok(l) => {
                if let Some(b) = l.bound.first() {
                    servers.insert((off, hardened), *b);
                }
                listeners.push(l);
            }
            Err(e) => {
                eprintln!("candor demo: cannot listen on {addr}: {e}");
                return 1;
            }
        }
    }
    println!(
        "candor demo: lab of {} zones on {}:{}, resolver on {}",
        lab.zones.len(),
        args.block,
        args.lab_port,
        servers.get(&(0, false)).map_or_else(String::new, |a| a.to_string())
    );
    let mut rows = Vec::new();
    let mut asks: Vec<(&candor_lab::Case, &Name, bool)> = lab.cases.iter().map(|(c, q)| (c, q, false)).collect();
    asks.extend(lab.cases.iter().filter(|(c, _)| c.hardened.is_some()).map(|(c, q)| (c, q, true)));
    for (case, qname, hardened) in asks {
        let Some(server) = servers.get(&(case.clock_offset, hardened)) else { continue };
        let mut expected = Expected::of(case, qname, lab.evidence(case, qname));
        if let (true, Some((verdict, ede))) = (hardened, case.hardened) {
            (expected.name, expected.verdict, expected.ede) = (format!("{} (hardened)", case.name), verdict, ede);
        }
        let seen = stub_query(*server, qname, case.qtype, Duration::from_secs(10)).await.map(|m| Seen::of(&m));
        let status = match &seen {
            Some(s) => judge(s, expected.verdict, expected.ede, &expected.evidence, Compare::Evidence),
            None => Err("no answer".to_owned()),
        };
        let status = status.map_or_else(Status::Wrong, |()| Status::Ok);
        let shown = format!("{}/{}", expected.verdict.as_str(), expected.ede.map_or("-".to_owned(), |e| e.to_string()));
        rows.push(Outcome { case: expected, expected: shown, seen, status });
    }
    let main = servers.get(&(0, false)).copied().unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    print!("{}", report(Format::Table, main, Compare::Evidence, &rows));
    let wrong = rows.iter().filter(|r| matches!(r.status, Status::Wrong(_))).count();
    println!("demo: {} passed, {} failed", rows.len() - wrong, wrong);
    for l in listeners {
        l.stop();
    }
    lab_servers.stop();
    u8::from(wrong > 0)
}
