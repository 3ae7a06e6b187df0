//! What `candor serve` runs with, from flags and the file (flags win):
//! the resolver's [`Config`] and the settings that live outside it
//! ([`Outside`]: addresses, ACL, workers, metrics, query log, control
//! socket, logging). Read at start and again on every reload.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use candor_resolver::Config;
use candor_server::Acl;

use crate::ServeArgs;
use crate::config::FileConfig;
use crate::upstream::{apply_upstream_flags, base_config, prefixes};

/// Running as root? (Linux: the real UID in /proc/self/status.)
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

/// The default place of the RFC 5011 state: a state directory when root,
/// the user's state directory otherwise.
fn default_anchor_state() -> Option<std::path::PathBuf> {
    let dir = if is_root() {
        std::path::PathBuf::from("/var/lib/candor")
    } else if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|x| !x.is_empty()) {
        std::path::PathBuf::from(x).join("candor")
    } else {
        std::path::PathBuf::from(std::env::var_os("HOME")?).join(".local/state/candor")
    };
    Some(dir.join("root-anchor.state"))
}

/// Build the resolver's configuration: flags, then the file, then defaults.
pub(crate) fn config(
    args: &ServeArgs,
    file: &FileConfig,
    file_path: &std::path::Path,
    now: u64,
) -> Result<Config, String> {
    let up = &args.upstream;
    let mut cfg = base_config(
        up.root_hints.as_deref().or(file.root_hints.as_deref()),
        up.trust_anchor.as_deref().or(file.trust_anchor.as_deref()),
    )?;
    file.apply(file_path, &mut cfg, now).map_err(|e| e.to_string())?;
    apply_upstream_flags(up, &mut cfg)?;
    if !args.no_rfc5011 && file.rfc5011 != Some(false) {
        // The default state file tracks the IANA root anchor: a run with
        // other hints or another anchor (a lab) never touches it, unless
        // a state file is named explicitly.
        let own_root = up.root_hints.is_some()
            || file.root_hints.is_some()
            || up.trust_anchor.is_some()
            || file.trust_anchor.is_some();
        let default = if own_root { None } else { default_anchor_state() };
        cfg.anchor_state = args.anchor_state.clone().or_else(|| file.anchor_state.clone()).or(default);
    }
    Ok(cfg)
}

/// The settings of `serve` that live outside the resolver's configuration,
/// as flags and the file give them (flags win).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outside {
    pub(crate) listen: Vec<SocketAddr>,
    pub(crate) allow: Vec<String>,
    pub(crate) proxies: Vec<String>,
    /// Networks refused and dropped.
    pub(crate) refuse: Vec<String>,
    pub(crate) drop: Vec<String>,
    /// UDP answers per second per client network, and the slip (None: off).
    pub(crate) rate_limit: Option<(u32, u32)>,
    pub(crate) workers: Option<usize>,
    pub(crate) metrics: Option<SocketAddr>,
    pub(crate) query_log: Option<(PathBuf, f64)>,
    pub(crate) control: PathBuf,
    pub(crate) log: (String, bool),
    pub(crate) cache_state: CacheState,
    /// DNS over TLS: where, and the certificate chain and key files.
    pub(crate) tls: Tls,
    pub(crate) cookies: Cookies,
}

/// The settings of DNS over TLS and over HTTPS (one certificate for both).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Tls {
    pub(crate) listen: Vec<SocketAddr>,
    pub(crate) https: Vec<SocketAddr>,
    pub(crate) cert: Option<PathBuf>,
    pub(crate) key: Option<PathBuf>,
}

impl Tls {
    /// The certificate and key files, when DNS over TLS or HTTPS is
    /// served; an error when it is asked for without them.
    pub(crate) fn files(&self) -> Result<Option<(&std::path::Path, &std::path::Path)>, String> {
        match (self.listen.is_empty() && self.https.is_empty(), &self.cert, &self.key) {
            (true, _, _) => Ok(None),
            (false, Some(c), Some(k)) => Ok(Some((c.as_path(), k.as_path()))),
            _ => Err("tls-listen and https-listen need tls-cert and tls-key (PEM files)".to_owned()),
        }
    }
}

/// DNS cookies toward clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cookies {
    /// Not answered.
    Off,
    /// Answered with a secret drawn at start.
    Drawn,
    /// Answered with this configured secret (hex), shared by nodes.
    Shared(String),
}

impl Cookies {
    /// The configured secret, checked: `Ok(None)` when none is configured.
    pub(crate) fn secret(&self) -> Result<Option<[u8; 16]>, String> {
        match self {
            Cookies::Shared(hex) => candor_server::cookies::parse_secret(hex)
                .map(Some)
                .ok_or_else(|| "cookie-secret: expected 32 hex digits (16 octets)".to_owned()),
            _ => Ok(None),
        }
    }
}

/// Where the cache is saved between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CacheState {
    /// Not at all.
    Off,
    /// In this file.
    At(PathBuf),
    /// In `cache.state` beside the RFC 5011 state (none when no state is kept).
    BesideAnchorState,
}

impl CacheState {
    /// The file, given the resolver's configuration.
    pub(crate) fn path(&self, cfg: &candor_resolver::Config) -> Option<PathBuf> {
        match self {
            CacheState::Off => None,
            CacheState::At(p) => Some(p.clone()),
            CacheState::BesideAnchorState => cfg.anchor_state.as_ref().map(|p| p.with_file_name("cache.state")),
        }
    }
}

impl Outside {
    pub(crate) fn of(args: &ServeArgs, file: &FileConfig) -> Outside {
        let listen = if !args.listen.is_empty() {
            args.listen.clone()
        } else if let Some(l) = file.listen.clone().filter(|l| !l.is_empty()) {
            l
        } else {
            vec![
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53),
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 53),
            ]
        };
        let allow = if args.allow.is_empty() { file.allow.clone().unwrap_or_default() } else { args.allow.clone() };
        let query_log = args.query_log.clone().or_else(|| file.query_log.clone()).map(|p| {
            let sample = args.query_log_sample.or(file.query_log_sample).unwrap_or(1.0);
            (p, sample)
        });
        let cache_state = match (&args.cache_state, &file.cache_state) {
            _ if args.no_cache_state => CacheState::Off,
            (Some(p), _) => CacheState::At(p.clone()),
            (None, Some(p)) if p.as_os_str().is_empty() => CacheState::Off,
            (None, Some(p)) => CacheState::At(p.clone()),
            (None, None) => CacheState::BesideAnchorState,
        };
        let proxies = if args.proxy_allow.is_empty() {
            file.proxy_allow.clone().unwrap_or_default()
        } else {
            args.proxy_allow.clone()
        };
        let tls = Tls {
            listen: if args.tls_listen.is_empty() {
                file.tls_listen.clone().unwrap_or_default()
            } else {
                args.tls_listen.clone()
            },
            https: if args.https_listen.is_empty() {
                file.https_listen.clone().unwrap_or_default()
            } else {
                args.https_listen.clone()
            },
            cert: args.tls_cert.clone().or_else(|| file.tls_cert.clone()),
            key: args.tls_key.clone().or_else(|| file.tls_key.clone()),
        };
        let pick = |flag: &Vec<String>, key: &Option<Vec<String>>| {
            if flag.is_empty() { key.clone().unwrap_or_default() } else { flag.clone() }
        };
        let rate_limit = args
            .rate_limit
            .or(file.rate_limit)
            .filter(|n| *n > 0)
            .map(|n| (n, args.rate_limit_slip.or(file.rate_limit_slip).unwrap_or(2)));
        let cookies = match (&args.cookie_secret, &file.cookie_secret) {
            _ if args.no_cookies || file.cookies == Some(false) => Cookies::Off,
            (Some(hex), _) | (None, Some(hex)) => Cookies::Shared(hex.clone()),
            (None, None) => Cookies::Drawn,
        };
        Outside {
            cookies,
            rate_limit,
            refuse: pick(&args.refuse, &file.refuse),
            drop: pick(&args.drop, &file.drop),
            tls,
            proxies,
            cache_state,
            listen,
            allow,
            workers: args.workers.or(file.workers),
            metrics: args.metrics_listen.or(file.metrics_listen),
            query_log,
            control: args
                .control
                .clone()
                .or_else(|| file.control_socket.clone())
                .unwrap_or_else(candor_server::control::default_socket),
            log: (
                args.log_level.clone().or_else(|| file.log_level.clone()).unwrap_or_else(|| "info".to_owned()),
                args.log_json || file.log_json == Some(true),
            ),
        }
    }

    /// The ACL of `allow` (empty: loopback and the private ranges), with
    /// the trusted proxies of `proxy-allow`, answering cookies with
    /// `cookies` unless they are off.
    pub(crate) fn acl(&self, cookies: &std::sync::Arc<candor_server::cookies::ServerCookies>) -> Result<Acl, String> {
        let acl = prefixes(&self.allow, "allow").map(|p| if p.is_empty() { Acl::default() } else { Acl::new(p) })?;
        let acl = acl.with_actions(prefixes(&self.refuse, "refuse")?, prefixes(&self.drop, "drop")?);
        let acl = acl.with_proxies(prefixes(&self.proxies, "proxy-allow")?);
        self.cookies.secret()?;
        Ok(if self.cookies == Cookies::Off { acl } else { acl.with_cookies(std::sync::Arc::clone(cookies)) })
    }

    /// The server cookies these settings start with.
    pub(crate) fn server_cookies(&self) -> Result<candor_server::cookies::ServerCookies, String> {
        Ok(match self.cookies.secret()? {
            Some(secret) => candor_server::cookies::ServerCookies::shared(secret),
            None => candor_server::cookies::ServerCookies::drawn()
                .ok_or_else(|| "cannot draw a cookie secret: the system's random number generator failed".to_owned())?,
        })
    }

    /// The settings that differ from `other` and take a restart to change.
    pub(crate) fn needs_restart(&self, other: &Outside) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.workers != other.workers {
            out.push("workers");
        }
        if self.metrics != other.metrics {
            out.push("metrics-listen");
        }
        if self.query_log != other.query_log {
            out.push("query-log");
        }
        if self.control != other.control {
            out.push("control-socket");
        }
        if self.log.1 != other.log.1 {
            out.push("log-json");
        }
        if self.cache_state != other.cache_state {
            out.push("cache-state");
        }
        if self.tls.listen != other.tls.listen {
            out.push("tls-listen");
        }
        if self.tls.https != other.tls.https {
            out.push("https-listen");
        }
        if self.rate_limit != other.rate_limit {
            out.push("rate-limit");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn serve_args(extra: &[&str]) -> ServeArgs {
        let mut argv = vec!["candor", "serve"];
        argv.extend_from_slice(extra);
        match crate::Cli::try_parse_from(argv).unwrap().command {
            crate::Command::Serve(a) => *a,
            _ => unreachable!("parsed as serve"),
        }
    }

    #[test]
    fn a_run_with_its_own_root_never_uses_the_default_anchor_state() {
        let dir = std::env::temp_dir().join(format!("candor-serve-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let hints = dir.join("root.hints");
        let anchor = dir.join("root.key");
        std::fs::write(&hints, ". 3600000 NS a.root.lab.\na.root.lab. 3600000 A 127.53.0.1\n").unwrap();
        std::fs::write(&anchor, format!(". 300 IN DS 12345 13 2 {}\n", "00".repeat(32))).unwrap();
        let (h, a) = (hints.to_str().unwrap(), anchor.to_str().unwrap());
        let none = std::path::Path::new("(no file)");
        for flags in [vec!["--root-hints", h], vec!["--trust-anchor", a], vec!["--root-hints", h, "--trust-anchor", a]]
        {
            let cfg = config(&serve_args(&flags), &FileConfig::default(), none, 0).unwrap();
            assert_eq!(cfg.anchor_state, None, "{flags:?}");
        }
        // Named explicitly, a state file is used with any anchor.
        let state = dir.join("lab.state");
        let flags = ["--trust-anchor", a, "--anchor-state", state.to_str().unwrap()];
        let cfg = config(&serve_args(&flags), &FileConfig::default(), none, 0).unwrap();
        assert_eq!(cfg.anchor_state, Some(state));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_cache_is_saved_beside_the_anchor_state_unless_placed_or_switched_off() {
        let mut cfg = candor_resolver::Config::new(Vec::new(), candor_anchor::Anchors::empty());
        let file = |text: &str| -> FileConfig { toml::from_str(text).unwrap() };
        let beside = Outside::of(&serve_args(&[]), &FileConfig::default()).cache_state;
        assert_eq!(beside, CacheState::BesideAnchorState);
        assert_eq!(beside.path(&cfg), None, "no RFC 5011 state, no saved cache");
        cfg.anchor_state = Some("/var/lib/candor/root-anchor.state".into());
        assert_eq!(beside.path(&cfg), Some("/var/lib/candor/cache.state".into()));
        let placed = Outside::of(&serve_args(&["--cache-state", "/tmp/c.state"]), &file("cache-state = \"/x\""));
        assert_eq!(placed.cache_state.path(&cfg), Some("/tmp/c.state".into()), "the flag wins");
        assert_eq!(
            Outside::of(&serve_args(&[]), &file("cache-state = \"/x\"")).cache_state.path(&cfg),
            Some("/x".into())
        );
        assert_eq!(Outside::of(&serve_args(&[]), &file("cache-state = \"\"")).cache_state, CacheState::Off);
        assert_eq!(
            Outside::of(&serve_args(&["--no-cache-state"]), &file("cache-state = \"/x\"")).cache_state,
            CacheState::Off
        );
    }
}
