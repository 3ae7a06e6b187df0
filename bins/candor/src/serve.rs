//! `candor serve`: the resolver behind the stub-facing server, configured
//! from flags and a TOML file (flags win).

use std::sync::Arc;
use std::time::Duration;

use candor_resolver::{Clock, Config, NetTransport, Resolver};

use crate::ServeArgs;
use crate::config::FileConfig;
use crate::settings::{Outside, config};
use crate::upstream::AnyClock;
use candor_server::{Current, listen_held};

/// Exit status for a configuration error (sysexits `EX_CONFIG`).
const EXIT_CONFIG: u8 = 78;

/// Tries of the start-up clock check before it reports that it could not
/// fetch the root's signatures.
const CLOCK_CHECK_ATTEMPTS: u32 = 5;

/// Make the directory of the RFC 5011 state when it does not exist, and
/// say so: only a directory candor created is handed to `--user` (never an
/// existing one, `/etc` say). Without a usable directory there is no state.
fn prepare_state_dir(cfg: &mut Config) -> Option<std::path::PathBuf> {
    let dir = cfg.anchor_state.as_ref()?.parent()?.to_path_buf();
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return None;
    }
    match std::fs::create_dir_all(&dir) {
        Ok(()) => Some(dir),
        Err(e) => {
            eprintln!("candor serve: no RFC 5011 state ({}: {e}); anchors will not be updated", dir.display());
            cfg.anchor_state = None;
            None
        }
    }
}

/// Become `name` (its UID, GID and only that group), handing it the files
/// it must keep writing.
fn drop_privileges(name: &str, own: &[&std::path::Path]) -> Result<(), String> {
    use nix::unistd::{User, chown, setgid, setgroups, setuid};
    let user = User::from_name(name)
        .map_err(|e| format!("--user {name}: {e}"))?
        .ok_or_else(|| format!("--user {name}: no such user"))?;
    for p in own {
        let _ = chown(*p, Some(user.uid), Some(user.gid));
    }
    setgroups(&[user.gid]).map_err(|e| format!("--user {name}: setgroups: {e}"))?;
    setgid(user.gid).map_err(|e| format!("--user {name}: setgid: {e}"))?;
    setuid(user.uid).map_err(|e| format!("--user {name}: setuid: {e}"))?;
    Ok(())
}

pub(crate) fn run(args: &ServeArgs) -> u8 {
    let (file, file_path) = match &args.config {
        Some(p) => match crate::config::load(p) {
            Ok(f) => (f, p.clone()),
            Err(e) => {
                eprintln!("candor serve: {e}");
                return EXIT_CONFIG;
            }
        },
        None => (FileConfig::default(), std::path::PathBuf::from("(no file)")),
    };
    let clock = match AnyClock::from_flag(args.upstream.now.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("candor serve: {e}");
            return crate::EXIT_USAGE;
        }
    };
    let mut cfg = match config(args, &file, &file_path, clock.unix()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("candor serve: {e}");
            return EXIT_CONFIG;
        }
    };
    let created_state_dir = prepare_state_dir(&mut cfg);
    let mut running = Outside::of(args, &file);
    let cache_state = running.cache_state.path(&cfg);
    let cookies = match running.server_cookies() {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("candor serve: {e}");
            return EXIT_CONFIG;
        }
    };
    let acl = match running.acl(&cookies) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("candor serve: {e}");
            return if args.allow.is_empty() { EXIT_CONFIG } else { crate::EXIT_USAGE };
        }
    };
    // The TLS certificate and key, read while still privileged.
    let tls_keys = match running.tls.files() {
        Ok(None) => None,
        Ok(Some((cert, key))) => match candor_server::tls::TlsKeys::load(cert, key) {
            Ok(k) => Some(k),
            Err(e) => {
                eprintln!("candor serve: {e}");
                return EXIT_CONFIG;
            }
        },
        Err(e) => {
            eprintln!("candor serve: {e}");
            return EXIT_CONFIG;
        }
    };
    let workers = running.workers;
    let level = running.log.0.clone();
    if !crate::LOG_LEVELS.contains(&level.as_str()) {
        eprintln!("candor serve: --log-level {level}: expected error, warn, info or debug");
        return crate::EXIT_USAGE;
    }
    crate::init_logging(&level, running.log.1);
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(w) = workers {
        rt.worker_threads(w.max(1));
    }
    let rt = match rt.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("candor serve: cannot start the runtime: {e}");
            return 1;
        }
    };
    rt.block_on(async {
        let current = Current::new({
            let transport = NetTransport::with_case_randomisation(cfg.case_randomisation);
            Resolver::new(cfg, transport, clock.clone())
        });
        if let Some((per_second, slip)) = running.rate_limit {
            current.limit_rate(candor_server::ratelimit::RateLimit::new(per_second, slip));
            let over = if slip == 0 {
                "the rest dropped".to_owned()
            } else {
                format!("one in {slip} of the rest answered empty with TC=1, the others dropped")
            };
            tracing::info!("UDP answers limited to {per_second}/s per client network (/24, /56); {over}");
        }
        if let Some((path, sample)) = &running.query_log {
            let sink = candor_server::querylog::Sink::parse(path);
            match candor_server::querylog::QueryLog::open(&sink, *sample) {
                Ok(log) => {
                    current.metrics().log_queries(log);
                }
                Err(e) => {
                    eprintln!("candor serve: query log {}: {e}", path.display());
                    return EXIT_CONFIG;
                }
            }
        }
        let control_path = running.control.clone();
        let control = match candor_server::control::listen(Arc::clone(&current), &control_path) {
            Ok(h) => Some(h),
            // Another candor runs with this socket: two servers would
            // share the port too (SO_REUSEPORT), each with its own cache.
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                eprintln!("candor serve: control socket {}: {e}", control_path.display());
                return 1;
            }
            Err(e) => {
                tracing::warn!("no control socket at {}: {e}", control_path.display());
                None
            }
        };
        let per_address = workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        // Bound now, answering only once privileges are dropped (below).
        let mut listeners = match listen_held(Arc::clone(&current), &running.listen, acl, per_address).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("candor serve: cannot listen on {:?}: {e}", running.listen);
                return 1;
            }
        };
        let bound: Vec<String> = listeners.bound.iter().map(ToString::to_string).collect();
        tracing::info!("listening on {}", bound.join(", "));
        if let Some(keys) = &tls_keys {
            let (tls, https) = (&running.tls.listen, &running.tls.https);
            for (what, addrs, bound) in [
                ("DNS over TLS", tls, listeners.listen_tls(tls, keys)),
                ("DNS over HTTPS", https, listeners.listen_https(https, keys)),
            ] {
                match bound {
                    Ok(bound) if bound.is_empty() => {}
                    Ok(bound) => {
                        let bound: Vec<String> = bound.iter().map(ToString::to_string).collect();
                        tracing::info!("{what} on {}", bound.join(", "));
                    }
                    Err(e) => {
                        eprintln!("candor serve: cannot listen for {what} on {addrs:?}: {e}");
                        return 1;
                    }
                }
            }
        }
        let metrics = match running.metrics {
            Some(addr) => match candor_server::serve_metrics(Arc::clone(&current), addr).await {
                Ok((bound, task)) => {
                    tracing::info!("metrics at http://{bound}/metrics");
                    Some(task)
                }
                Err(e) => {
                    eprintln!("candor serve: cannot serve metrics on {addr}: {e}");
                    return 1;
                }
            },
            None => None,
        };
        // Which root keys are trusted, and from where: the anchor, and the
        // RFC 5011 state when one is kept (a refused state is logged).
        let tags: Vec<String> = current.get().root_key_tags().iter().map(ToString::to_string).collect();
        let state = current.get().config().anchor_state.as_ref().map(|p| p.display().to_string());
        tracing::info!(
            "trusting root keys {} (anchor state: {})",
            if tags.is_empty() { "none: validation is off".to_owned() } else { tags.join(", ") },
            state.as_deref().unwrap_or("not kept")
        );
        tokio::spawn(clock_check(current.get(), clock.clone()));
        // Everything privileged is bound: become the unprivileged user.
        if let Some(name) = &args.user {
            // The state file and the control socket it must keep writing,
            // and the state's directory only when candor made it.
            let state = current.get().config().anchor_state.clone().filter(|p| p.exists());
            let saved =
                cache_state.iter().flat_map(|p| [p.clone(), candor_resolver::key_path(p)]).filter(|p| p.exists());
            let saved: Vec<std::path::PathBuf> = saved.collect();
            let own: Vec<&std::path::Path> = created_state_dir
                .iter()
                .chain(state.iter())
                .chain(saved.iter())
                .map(|p| p.as_path())
                .chain([control_path.as_path()])
                .collect();
            if let Err(e) = drop_privileges(name, &own) {
                eprintln!("candor serve: {e}");
                return 1;
            }
            tracing::info!("running as {name}");
        }
        // What clients send is read from here on, never as root when
        // `--user` was given.
        listeners.open();
        // The saved cache, read back in the background (as the user that
        // will save it) while candor serves.
        let saved = cache_state.map(|path| crate::saved_cache::SavedCache::start(Arc::clone(&current), path));
        // Every listener is bound: ready for systemd (Type=notify).
        crate::notify::notify("READY=1");
        use tokio::signal::unix::{SignalKind, signal};
        let (mut term, mut hup) = match (signal(SignalKind::terminate()), signal(SignalKind::hangup())) {
            (Ok(t), Ok(h)) => (t, h),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("candor serve: cannot watch signals: {e}");
                return 1;
            }
        };
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = term.recv() => break,
                _ = hup.recv() => crate::reload::reload(crate::reload::Serving {
                    args,
                    file_path: &file_path,
                    current: &current,
                    clock: &clock,
                    listeners: &mut listeners,
                    running: &mut running,
                    tls: tls_keys.as_deref(),
                    cookies: &cookies,
                }),
            }
        }
        crate::notify::notify("STOPPING=1");
        listeners.stop();
        if let Some(m) = metrics {
            m.abort();
        }
        if let Some(c) = control {
            c.close();
        }
        // Drain: queries in flight hold the resolver; give them 2 s.
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while Arc::strong_count(&current.get()) > 2 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if let Some(saved) = saved {
            saved.stop(&current).await;
        }
        tracing::info!("stopped");
        0
    })
}

/// The clock check: once the root DNSKEY RRset is in, is the local time
/// inside its signature windows? A skewed clock breaks everything. The
/// network may not be up yet at start-up: a check that saw no root
/// signatures is tried again a few times before it gives up.
async fn clock_check(checker: Arc<Resolver<NetTransport, AnyClock>>, clock: AnyClock) {
    for attempt in 1..=CLOCK_CHECK_ATTEMPTS {
        let (_, links) = checker.trace(&candor_wire::Name::root(), candor_wire::RType::DNSKEY).await;
        let seen = crate::trace::root_signatures_seen(&links);
        if !seen && attempt < CLOCK_CHECK_ATTEMPTS {
            tracing::debug!("clock check: no root DNSKEY signatures yet (attempt {attempt})");
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        }
        match crate::trace::clock_report(&links, clock.unix()) {
            (true, text) => tracing::info!("clock check: {text}"),
            (false, text) => tracing::warn!("clock check: {text}"),
        }
        break;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn only_a_state_directory_candor_made_is_reported_for_handing_over() {
        let base = std::env::temp_dir().join(format!("candor-serve-dir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        let mut cfg = Config::new(Vec::new(), candor_anchor::Anchors::empty());
        // An existing directory (think /etc) is used as it is.
        cfg.anchor_state = Some(base.join("root.state"));
        assert_eq!(prepare_state_dir(&mut cfg), None);
        // A missing one is made, and reported as made.
        let made = base.join("sub/dir");
        cfg.anchor_state = Some(made.join("root.state"));
        assert_eq!(prepare_state_dir(&mut cfg), Some(made.clone()));
        assert!(made.is_dir() && cfg.anchor_state.is_some());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
