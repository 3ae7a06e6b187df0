//! `candor bench`: validation throughput and latency, offline. It builds
//! the lab with its benchmark zones (`candor_lab::BENCH_ZONES`) and the
//! attack families, serves it on loopback, starts `candor serve` as a
//! child process pointed at it (or measures `--server`), and runs each
//! workload with the built-in load generator: answers per second,
//! latency percentiles, signature verifications per second (read from
//! the control socket's `stats`) and the resolver's CPU time per query
//! (read from /proc, so Linux only).

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use candor_lab::{BENCH_BOGUS, BENCH_NSEC3, BENCH_ZONES, BENCH8, BENCH13, BENCH15, Lab, LabConfig, deep_name};
use candor_wire::Name;

use crate::BenchArgs;
use crate::loadgen::{Load, Names, Outcome};
use crate::report::Row;

/// One workload: which names it asks and what their answers should be.
struct Workload {
    name: &'static str,
    what: &'static str,
    expected: Outcome,
    /// The `i`th name asked.
    qname: fn(usize) -> String,
    /// Each name once (false: one name over and over).
    distinct: bool,
}

fn cached(_: usize) -> String {
    BENCH13.name(0)
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "cached",
        what: "one signed name over and over: answers from the cache",
        expected: Outcome::Secure,
        qname: cached,
        distinct: false,
    },
    Workload {
        name: "signed-alg8",
        what: "distinct names, each its own RRSIG (RSA/SHA-256, 2,048 bits)",
        expected: Outcome::Secure,
        qname: |i| BENCH8.name(i),
        distinct: true,
    },
    Workload {
        name: "signed-alg13",
        what: "distinct names, each its own RRSIG (ECDSA P-256)",
        expected: Outcome::Secure,
        qname: |i| BENCH13.name(i),
        distinct: true,
    },
    Workload {
        name: "signed-alg15",
        what: "distinct names, each its own RRSIG (Ed25519)",
        expected: Outcome::Secure,
        qname: |i| BENCH15.name(i),
        distinct: true,
    },
    Workload {
        name: "nxdomain-nsec",
        what: "distinct missing names, each in its own NSEC gap (Ed25519)",
        expected: Outcome::Secure,
        qname: |i| BENCH15.missing(i),
        distinct: true,
    },
    Workload {
        name: "nxdomain-nsec3",
        what: "distinct missing names under NSEC3 (Ed25519, no extra iterations)",
        expected: Outcome::Secure,
        qname: |i| BENCH_NSEC3.missing(i),
        distinct: true,
    },
    Workload {
        name: "bogus",
        what: "distinct names whose RRSIG does not verify: SERVFAIL",
        expected: Outcome::Servfail,
        qname: |i| BENCH_BOGUS.name(i),
        distinct: true,
    },
    Workload {
        name: "attack-keytrap",
        what: "KeyTrap: 128 keys share a tag, 8 bogus RRSIGs per answer",
        expected: Outcome::Servfail,
        qname: |i| format!("n{i}.attack-keytrap.test."),
        distinct: true,
    },
    Workload {
        name: "attack-sigflood",
        what: "150 bogus RRSIGs over every answer",
        expected: Outcome::Servfail,
        qname: |i| format!("n{i}.attack-sigflood.test."),
        distinct: true,
    },
    Workload {
        name: "attack-nsec3",
        what: "NSEC3 with 150 iterations and a 255-octet salt, 100-label names: insecure",
        expected: Outcome::Insecure,
        qname: |i| format!("{}.attack-nsec3.test.", deep_name(&format!("n{i}"), 2)),
        distinct: true,
    },
    Workload {
        name: "attack-cname",
        what: "a 30-link CNAME chain between two signed zones: SERVFAIL",
        expected: Outcome::Servfail,
        qname: |i| format!("n{i}.attack-cname-a.test."),
        distinct: true,
    },
];

/// The workloads, one per line, for `--list`.
fn list() -> String {
    WORKLOADS.iter().map(|w| format!("{:<16} {}\n", w.name, w.what)).collect()
}

/// `candor bench`.
pub(crate) fn run(args: &BenchArgs) -> u8 {
    if args.list {
        print!("{}", list());
        return 0;
    }
    let chosen: Vec<&Workload> = if args.workloads.is_empty() {
        WORKLOADS.iter().collect()
    } else {
        let mut v = Vec::new();
        for w in &args.workloads {
            match WORKLOADS.iter().find(|x| x.name == w.as_str()) {
                Some(x) => v.push(x),
                None => {
                    eprintln!("candor bench: no workload {w:?}; there are:\n{}", list());
                    return crate::EXIT_USAGE;
                }
            }
        }
        v
    };
    let usage = |m: &str| {
        eprintln!("candor bench: {m}");
        crate::EXIT_USAGE
    };
    if !(args.duration > 0.0 && args.duration <= 3600.0) {
        return usage("--duration: expected seconds above 0, at most 3600");
    }
    if args.concurrency == 0 || args.concurrency > 4096 {
        return usage("--concurrency: expected 1 to 4096");
    }
    if args.names == 0 || args.names > 1_000_000 {
        return usage("--names: expected 1 to 1000000");
    }
    if args.workers == 0 || args.workers > 256 {
        return usage("--workers: expected 1 to 256");
    }
    if args.timeout_ms == 0 || args.timeout_ms > 60_000 {
        return usage("--timeout-ms: expected 1 to 60000");
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("candor bench: cannot start the runtime: {e}");
            return 1;
        }
    };
    rt.block_on(bench(args, &chosen))
}

/// A resolver started for the benchmark; killed when dropped.
struct Started {
    child: Child,
    control: PathBuf,
    dir: PathBuf,
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Start `candor serve` (this executable) on a free loopback port.
fn start_resolver(args: &BenchArgs, dir: &Path) -> Result<(Started, SocketAddr), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let control = dir.join("control.sock");
    let log = std::fs::File::create(dir.join("serve.log")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let child = Command::new(exe)
        .arg("serve")
        .args(["--listen", &addr.to_string()])
        .arg("--root-hints")
        .arg(dir.join("root.hints"))
        .arg("--trust-anchor")
        .arg(dir.join("root.key"))
        .args(["--outbound-allow", "127.0.0.0/8", "--authority-port", &args.lab_port.to_string()])
        .args(["--workers", &args.workers.to_string(), "--no-rfc5011", "--log-level", "error"])
        .arg("--control")
        .arg(&control)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start candor serve: {e}"))?;
    Ok((Started { child, control, dir: dir.to_owned() }, addr))
}

/// The resolver's CPU time so far (user + system), from /proc.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let f: Vec<&str> = rest.split(' ').collect();
    let (utime, stime): (u64, u64) = (f.get(11)?.parse().ok()?, f.get(12)?.parse().ok()?);
    let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok()??;
    Some((utime + stime) as f64 / ticks as f64)
}

/// Signature verifications so far, from the control socket's `stats`.
fn verifications(control: &Path) -> Option<u64> {
    let mut s = UnixStream::connect(control).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"stats\n").ok()?;
    BufReader::new(s).lines().map_while(Result::ok).find_map(|l| l.strip_prefix("verifications ")?.parse().ok())
}

/// Ask `server` for a name of the lab until it answers (30 s at most).
async fn wait_ready(server: SocketAddr, started: &mut Option<Started>) -> Result<(), String> {
    let name: Name = "valid.test.".parse().map_err(|e| format!("{e}"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 4096];
    while Instant::now() < deadline {
        if let Some(s) = started
            && let Ok(Some(status)) = s.child.try_wait()
        {
            let log = std::fs::read_to_string(s.dir.join("serve.log")).unwrap_or_default();
            return Err(format!("candor serve exited ({status}): {}", log.trim()));
        }
        if let Some(q) = crate::loadgen::query(0x4242, &name)
            && sock.send_to(&q, server).await.is_ok()
            && let Ok(Ok((n, _))) = tokio::time::timeout(Duration::from_millis(500), sock.recv_from(&mut buf)).await
            && n >= 12
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{server} did not answer valid.test. within 30 s"))
}

async fn bench(args: &BenchArgs, chosen: &[&Workload]) -> u8 {
    crate::init_logging("error", false);
    let dir = std::env::temp_dir().join(format!("candor-bench-{}", std::process::id()));
    let mut lab_running = None;
    if !args.no_lab {
        let now = match crate::lab::parse_now(None) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("candor bench: {e}");
                return 1;
            }
        };
        let mut cfg = LabConfig::new(now);
        (cfg.block, cfg.port, cfg.bench_names) = (args.block, args.lab_port, args.names);
        cfg.bench_zones = BENCH_ZONES.to_vec();
        eprintln!("candor bench: building the lab ({} names in each of 5 benchmark zones)...", args.names);
        let t = Instant::now();
        let lab = match Lab::build(cfg) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("candor bench: building the lab failed: {e}");
                return 1;
            }
        };
        for out in [Some(&dir), args.lab_out.as_ref()].into_iter().flatten() {
            if let Err(e) = std::fs::create_dir_all(out)
                .map_err(|e| e.to_string())
                .and_then(|()| candor_lab::write_anchor_files(&lab, out).map_err(|e| e.to_string()))
            {
                eprintln!("candor bench: {}: {e}", out.display());
                return 1;
            }
        }
        match candor_lab::serve(&lab).await {
            Ok(r) => lab_running = Some(r),
            Err(e) => {
                eprintln!("candor bench: {e} (another lab running? try --block or --lab-port)");
                return 1;
            }
        }
        eprintln!(
            "candor bench: lab built in {:.1} s, serving {} zones on {}:{}",
            t.elapsed().as_secs_f64(),
            lab.zones.len(),
            args.block,
            args.lab_port
        );
    }
    let (mut started, server) = match args.server {
        Some(s) => (None, s),
        None => match start_resolver(args, &dir) {
            Ok((s, addr)) => (Some(s), addr),
            Err(e) => {
                eprintln!("candor bench: {e}");
                let _ = std::fs::remove_dir_all(&dir);
                return 1;
            }
        },
    };
    let code = match wait_ready(server, &mut started).await {
        Ok(()) => measure(args, chosen, server, started.as_ref()).await,
        Err(e) => {
            eprintln!("candor bench: {e}");
            1
        }
    };
    drop(started);
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(l) = lab_running {
        l.stop();
    }
    code
}

async fn measure(args: &BenchArgs, chosen: &[&Workload], server: SocketAddr, started: Option<&Started>) -> u8 {
    let pid = started.map(|s| s.child.id()).or(args.server_pid);
    let control = started.map(|s| s.control.clone()).or_else(|| args.server_control.clone());
    let load = Load {
        concurrency: args.concurrency,
        duration: Duration::from_secs_f64(args.duration),
        rate: args.rate,
        timeout: Duration::from_millis(args.timeout_ms),
    };
    let resolver = if started.is_some() { format!("candor, {} worker(s)", args.workers) } else { server.to_string() };
    println!(
        "candor bench: {resolver} at {server}; {} outstanding, {} s or {} names per workload{}",
        args.concurrency,
        args.duration,
        args.names,
        if args.rate > 0 { format!(", {} queries/s", args.rate) } else { String::new() }
    );
    let mut rows = Vec::new();
    for w in chosen {
        let names = if w.distinct {
            let mut v = Vec::with_capacity(args.names);
            for i in 0..args.names {
                match (w.qname)(i).parse() {
                    Ok(n) => v.push(n),
                    Err(e) => {
                        eprintln!("candor bench: workload {}: {e}", w.name);
                        return 1;
                    }
                }
            }
            Names::Each(v)
        } else {
            let Ok(n) = (w.qname)(0).parse::<Name>() else { return 1 };
            // Into the cache first.
            let _ = crate::loadgen::run(server, Arc::new(Names::Each(vec![n.clone()])), load).await;
            Names::Same(n)
        };
        let cpu0 = pid.and_then(cpu_seconds);
        let ver0 = control.as_deref().and_then(verifications);
        let measured = match crate::loadgen::run(server, Arc::new(names), load).await {
            Ok(m) => m,
            Err(e) => {
                eprintln!("candor bench: workload {}: {e}", w.name);
                return 1;
            }
        };
        let secs = measured.elapsed.as_secs_f64().max(1e-9);
        let answered = measured.latencies.len() as f64;
        let cpu = match (cpu0, pid.and_then(cpu_seconds)) {
            (Some(a), Some(b)) if answered > 0.0 => Some((b - a) * 1e6 / answered),
            _ => None,
        };
        let validations = match (ver0, control.as_deref().and_then(verifications)) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / secs),
            _ => None,
        };
        rows.push(Row {
            name: w.name,
            measured,
            expected: w.expected,
            validations_per_s: validations,
            cpu_us_per_query: cpu,
        });
    }
    print!("{}", crate::report::table(&rows));
    if let Some(path) = &args.report {
        let title = format!("candor bench: {resolver}, {} outstanding", args.concurrency);
        match crate::report::write(path, &rows, &title) {
            Ok(()) => println!("candor bench: report written to {}", path.display()),
            Err(e) => {
                eprintln!("candor bench: {e}");
                return 1;
            }
        }
    }
    let silent: Vec<&str> = rows.iter().filter(|r| r.measured.latencies.is_empty()).map(|r| r.name).collect();
    if silent.is_empty() {
        0
    } else {
        eprintln!("candor bench: no answers at all in: {}", silent.join(", "));
        1
    }
}
