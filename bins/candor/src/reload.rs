//! SIGHUP for `candor serve`: the file and the anchors read again, and
//! every setting applied that can be without a restart: a fresh resolver
//! takes over the caches and negative trust anchors of the running one
//! (`Resolver::take_over`), the ACL is swapped, addresses no longer listed
//! are closed and new ones opened, the TLS certificate and key are read
//! again. What cannot change in a running process
//! (workers, the metrics address, the query log, the control socket,
//! JSON logging, the TLS addresses, the user) is named in one WARN line and keeps its value until
//! a restart. A file that does not load changes nothing.

use std::path::Path;

use candor_resolver::{Clock, NetTransport, Resolver};
use candor_server::{Current, Listeners};

use crate::ServeArgs;
use crate::config::FileConfig;
use crate::settings::Outside;
use crate::upstream::AnyClock;

/// What the serve loop hands a reload.
pub(crate) struct Serving<'a> {
    pub(crate) args: &'a ServeArgs,
    pub(crate) file_path: &'a Path,
    pub(crate) current: &'a Current<NetTransport, AnyClock>,
    pub(crate) clock: &'a AnyClock,
    pub(crate) listeners: &'a mut Listeners,
    /// The outside settings in force (updated with what the reload applied).
    pub(crate) running: &'a mut Outside,
    /// The DNS-over-TLS certificate and key in service, when served.
    pub(crate) tls: Option<&'a candor_server::tls::TlsKeys>,
    /// The server cookies (their secret survives reloads).
    pub(crate) cookies: &'a std::sync::Arc<candor_server::cookies::ServerCookies>,
}

/// SIGHUP: see the module's documentation.
pub(crate) fn reload(s: Serving<'_>) {
    crate::notify::reloading();
    apply(s);
    crate::notify::notify("READY=1");
}

fn apply(s: Serving<'_>) {
    let fail = |e: &dyn std::fmt::Display| tracing::error!("reload failed, nothing changed: {e}");
    let file = match &s.args.config {
        Some(p) => match crate::config::load(p) {
            Ok(f) => f,
            Err(e) => return fail(&e),
        },
        None => FileConfig::default(),
    };
    let wanted = Outside::of(s.args, &file);
    let acl = match wanted.acl(s.cookies) {
        Ok(a) => a,
        Err(e) => return fail(&e),
    };
    let tls_files = match wanted.tls.files() {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    let cfg = match crate::settings::config(s.args, &file, s.file_path, s.clock.unix()) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let transport = NetTransport::with_case_randomisation(cfg.case_randomisation);
    let (fresh, report) = Resolver::new(cfg, transport, s.clock.clone()).take_over(&s.current.get());
    s.current.set(fresh);
    let acl_changed = (&wanted.allow, &wanted.refuse, &wanted.drop, &wanted.proxies, &wanted.cookies)
        != (&s.running.allow, &s.running.refuse, &s.running.drop, &s.running.proxies, &s.running.cookies);
    // A new configured secret: cookies made with the old one stay valid
    // for their hour (checked by acl() above).
    if wanted.cookies != s.running.cookies
        && let Ok(Some(secret)) = wanted.cookies.secret()
    {
        s.cookies.set_secret(secret);
        tracing::info!("reload: a new cookie secret (cookies made with the one before stay valid for their hour)");
    }
    if acl_changed {
        s.current.set_acl(acl);
        let list = |v: &[String], none: &str| if v.is_empty() { none.to_owned() } else { v.join(", ") };
        tracing::info!(
            "reload: ACL now allow {}, refuse {}, drop {}; trusted proxies {}",
            list(&wanted.allow, "the default"),
            list(&wanted.refuse, "none"),
            list(&wanted.drop, "none"),
            list(&wanted.proxies, "none")
        );
    }
    let (opened, closed, failed) = s.listeners.reconcile(&wanted.listen);
    for addr in &opened {
        tracing::info!("reload: listening on {addr}");
    }
    for addr in &closed {
        tracing::info!("reload: no longer listening on {addr}");
    }
    for (addr, e) in &failed {
        let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
            " (a port below 1024 needs CAP_NET_BIND_SERVICE, which a process that dropped to --user no longer has: restart candor)"
        } else {
            ""
        };
        tracing::error!("reload: cannot listen on {addr}: {e}{hint}");
    }
    match report.cache_kept {
        Ok(()) => tracing::info!(
            negative_anchors = report.negative_anchors,
            "configuration and anchors reloaded; the cache and negative trust anchors kept"
        ),
        Err(why) => tracing::warn!(
            negative_anchors = report.negative_anchors,
            "configuration and anchors reloaded; the cache was flushed: {why}"
        ),
    }
    // The certificate and key read again (renewed on disk): the next
    // handshakes use them, connections already open keep theirs.
    if let (Some(keys), Some((cert, key))) = (s.tls, tls_files) {
        match keys.replace(cert, key) {
            Ok(()) => tracing::info!("reload: TLS certificate from {}", cert.display()),
            Err(e) => tracing::error!("reload: TLS certificate kept: {e}"),
        }
    }
    // (The file's loader has checked the level's name.)
    if wanted.log.0 != s.running.log.0 {
        if let Err(e) = crate::set_log_level(&wanted.log.0) {
            tracing::error!("reload: log-level {}: {e}", wanted.log.0);
        } else {
            tracing::warn!("reload: log level now {}", wanted.log.0);
            s.running.log.0.clone_from(&wanted.log.0);
        }
    }
    let mut later: Vec<&str> = report.needs_restart.clone();
    later.extend(wanted.needs_restart(s.running));
    if !later.is_empty() {
        tracing::warn!("reload: not applied until candor restarts: {}", later.join("; "));
    }
    // What is in force now: the listen set as reconciled, the ACL; the rest
    // as it was.
    s.running.allow = wanted.allow;
    s.running.proxies = wanted.proxies;
    s.running.refuse = wanted.refuse;
    s.running.cookies = wanted.cookies;
    s.running.drop = wanted.drop;
    s.running.listen = wanted.listen.into_iter().filter(|a| !failed.iter().any(|(f, _)| f == a)).collect();
}
