//! `candor lab`: write the broken-zone lab's files and, with `--serve`,
//! serve it on loopback until interrupted.

use candor_lab::{BENCH_ZONES, BenchZone, Lab, LabConfig, serve, write_files, write_resolver_configs};

use crate::LabArgs;

/// How often a long-running lab on the real clock re-signs its zones.
const RESIGN_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Parse `--now`: seconds since the epoch or `YYYYMMDDHHmmSS`.
pub(crate) fn parse_now(text: Option<&str>) -> Result<u64, String> {
    match text {
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .map_err(|_| "the system clock is before 1970".to_owned()),
        Some(t) if t.len() == 14 => candor_wire::parse_timestamp(t)
            .and_then(|s| u64::try_from(s).ok())
            .ok_or_else(|| format!("--now {t}: not a valid YYYYMMDDHHmmSS time")),
        Some(t) => t.parse().map_err(|_| format!("--now {t}: expected seconds since the epoch or YYYYMMDDHHmmSS")),
    }
}

pub(crate) fn run(args: &LabArgs) -> u8 {
    if let Some(crate::LabAction::Check(check)) = &args.action {
        return match crate::lab_check::run(check) {
            Ok((server, outcomes)) => {
                print!("{}", crate::lab_report::report(check.format, server, check.compare, &outcomes));
                let wrong = outcomes.iter().any(|o| matches!(o.status, crate::lab_check::Status::Wrong(_)));
                u8::from(wrong)
            }
            Err(code) => code,
        };
    }
    let Some(out) = args.out.as_deref() else {
        eprintln!("candor lab: --out DIR is required");
        return crate::EXIT_USAGE;
    };
    let now = match parse_now(args.now.as_deref()) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("candor lab: {e}");
            return crate::EXIT_USAGE;
        }
    };
    let mut cfg = LabConfig::new(now);
    cfg.port = args.port;
    cfg.block = args.block;
    cfg.bench_names = args.bench_names;
    if args.bench_all {
        cfg.bench_zones = BENCH_ZONES.to_vec();
    } else if !args.bench_zones.is_empty() {
        cfg.bench_zones = Vec::new();
        for label in &args.bench_zones {
            match BenchZone::by_label(label) {
                Some(z) if !cfg.bench_zones.contains(&z) => cfg.bench_zones.push(z),
                Some(_) => {}
                None => {
                    let known: Vec<_> = BENCH_ZONES.iter().map(|z| z.label).collect();
                    eprintln!("candor lab: --bench-zones {label}: no such zone (known: {})", known.join(", "));
                    return crate::EXIT_USAGE;
                }
            }
        }
    }
    let lab = match Lab::build(cfg) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("candor lab: building the lab failed: {e}");
            return 1;
        }
    };
    if let Err(e) = write_files(&lab, out).and_then(|()| write_resolver_configs(&lab, out, args.resolver_listen)) {
        eprintln!("candor lab: {e}");
        return 1;
    }
    let listening = lab.zones.iter().filter(|z| z.addr.is_some()).count();
    println!("candor lab: wrote {} zones and {} cases to {}", lab.zones.len(), lab.cases.len(), out.display());
    println!(
        "candor lab: configurations for Unbound, BIND named, Knot Resolver and PowerDNS Recursor listening on {} \
         in {}; check one with `candor lab check --server {} --lab {}`",
        args.resolver_listen,
        out.join("resolvers").display(),
        args.resolver_listen,
        out.display()
    );
    if !args.serve {
        return 0;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("candor lab: cannot start the runtime: {e}");
            return 1;
        }
    };
    rt.block_on(async {
        let running = match serve(&lab).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("candor lab: {e}");
                return 1;
            }
        };
        let root = running.bound.first().map(|a| a.to_string()).unwrap_or_default();
        println!(
            "candor lab: serving {listening} zones on {}:{} (root at {root}); Ctrl-C stops",
            args.block, args.port
        );
        // Signatures last 30 days from the lab's time; a lab that serves on
        // the real clock is re-signed every day so they never run out.
        let mut lab_now = now;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = tokio::time::sleep(RESIGN_EVERY), if args.now.is_none() => {
                    lab_now += RESIGN_EVERY.as_secs();
                    let mut cfg = lab.config.clone();
                    cfg.now = lab_now;
                    match Lab::build(cfg) {
                        Ok(fresh) => {
                            running.reload(&fresh);
                            if let Err(e) = write_files(&fresh, out) {
                                eprintln!("candor lab: re-signed, but {e}");
                            }
                            println!("candor lab: re-signed every zone");
                        }
                        Err(e) => eprintln!("candor lab: re-signing failed, keeping the old zones: {e}"),
                    }
                }
            }
        }
        running.stop();
        println!("candor lab: stopped");
        0
    })
}
