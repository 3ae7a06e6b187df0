//! The TOML configuration file of `candor serve` (`testdata/candor.toml`
//! documents every key). Flags given on the command line override it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use candor_crypto::Policy;
use candor_resolver::{Config, Forward, Outbound, Prefix};
use candor_wire::Name;
use serde::Deserialize;

/// The configuration file.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    /// Addresses to listen on (port 53 when left out).
    #[serde(default, deserialize_with = "listen_addrs")]
    pub listen: Option<Vec<SocketAddr>>,
    /// Addresses to serve DNS over TLS on (port 853 when left out).
    #[serde(default, deserialize_with = "tls_listen_addrs")]
    pub tls_listen: Option<Vec<SocketAddr>>,
    /// Addresses to serve DNS over HTTPS on (port 443 when left out).
    #[serde(default, deserialize_with = "https_listen_addrs")]
    pub https_listen: Option<Vec<SocketAddr>>,
    /// The certificate chain for DNS over TLS and HTTPS (PEM).
    pub tls_cert: Option<PathBuf>,
    /// Its private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// Networks allowed to query.
    pub allow: Option<Vec<String>>,
    /// Networks refused (REFUSED + EDE 18).
    pub refuse: Option<Vec<String>>,
    /// Networks dropped silently.
    pub drop: Option<Vec<String>>,
    /// UDP answers per second per client network (absent or 0: off).
    pub rate_limit: Option<u32>,
    /// Every N-th limited query gets TC=1 (default 2).
    pub rate_limit_slip: Option<u32>,
    /// The server cookies' secret (32 hex digits), shared by nodes.
    pub cookie_secret: Option<String>,
    /// Answer DNS cookies (default true).
    pub cookies: Option<bool>,
    /// Trusted proxies sending PROXY v2 headers.
    pub proxy_allow: Option<Vec<String>>,
    /// Worker threads.
    pub workers: Option<usize>,
    /// Cache entries (answers, and RRsets), a cap beside `cache-memory`.
    pub cache_size: Option<usize>,
    /// Estimated bytes all caches hold together: a number of octets, or a
    /// string with K, M or G ("256M").
    pub cache_memory: Option<toml::Value>,
    /// Root hints file (named.root format).
    pub root_hints: Option<PathBuf>,
    /// Trust anchor file (DS or DNSKEY records).
    pub trust_anchor: Option<PathBuf>,
    /// RFC 5011 state file.
    pub anchor_state: Option<PathBuf>,
    /// RFC 5011 automated updates on or off.
    pub rfc5011: Option<bool>,
    /// Port of authoritative servers (labs).
    pub authority_port: Option<u16>,
    /// Networks upstream queries may go to.
    pub outbound_allow: Option<Vec<String>>,
    /// Query IPv6 servers (off for hosts without IPv6 connectivity).
    pub ipv6: Option<bool>,
    /// Log level: error, warn, info, debug.
    pub log_level: Option<String>,
    /// Log as JSON lines.
    pub log_json: Option<bool>,
    /// The control socket.
    pub control_socket: Option<PathBuf>,
    /// Where Prometheus metrics are served over HTTP (off when absent).
    pub metrics_listen: Option<SocketAddr>,
    /// The query log: a file, or `-` for stderr (off when absent).
    pub query_log: Option<PathBuf>,
    /// The fraction of queries logged.
    pub query_log_sample: Option<f64>,
    /// The saved cache (`""`: none).
    pub cache_state: Option<PathBuf>,
    /// Negative trust anchors.
    pub negative_trust_anchor: Option<Vec<NegativeAnchor>>,
    /// Forward zones.
    pub forward: Option<Vec<ZoneServers>>,
    /// Stub zones.
    pub stub: Option<Vec<ZoneServers>>,
    /// Locally served zones on or off.
    pub local_zones: Option<bool>,
    /// Locally served zones to resolve normally.
    pub local_zones_off: Option<Vec<String>>,
    /// QNAME minimisation.
    pub qname_minimisation: Option<bool>,
    /// Minimal responses (no authority NS or additional addresses on answers).
    pub minimal_responses: Option<bool>,
    /// Sibling glue only as a last resort.
    pub harden_unverified_glue: Option<bool>,
    /// Only in-bailiwick glue (off: any glue, a poisoning risk).
    pub harden_glue: Option<bool>,
    /// Upstream query names in random case, echoed back (0x20).
    pub case_randomisation: Option<bool>,
    /// DNS cookies toward authoritative servers (RFC 7873).
    pub client_cookies: Option<bool>,
    /// Answer from validated NSEC records what they already deny (RFC 8198).
    pub aggressive_nsec: Option<bool>,
    /// Refresh answers asked for in their last tenth ahead of expiry.
    pub prefetch: Option<bool>,
    /// Warn when a zone's signatures seen in live traffic expire within
    /// this many seconds.
    pub expiry_warning: Option<u64>,
    /// Serve expired answers when their refresh fails (RFC 8767).
    pub serve_stale: Option<bool>,
    /// How long past its expiry an answer may be served stale, in seconds.
    pub serve_stale_max: Option<u64>,
    /// How long a client waits for a refresh before the stale answer, in
    /// seconds.
    pub stale_answer_client_timeout: Option<f64>,
    /// EDE 33 on answers under a negative trust anchor.
    pub nta_ede: Option<bool>,
    /// Algorithm policy.
    pub policy: Option<PolicySection>,
    /// Budgets.
    pub budgets: Option<Budgets>,
}

/// An address to listen on: `IP:PORT`, `[IPv6]:PORT`, or an address
/// alone (`192.168.1.53`, `::1`, `[::1]`) for port 53.
pub fn listen_addr(s: &str) -> Result<SocketAddr, String> {
    addr_with_port(s, 53)
}

/// An address for DNS over TLS, port 853 when left out.
pub fn tls_listen_addr(s: &str) -> Result<SocketAddr, String> {
    addr_with_port(s, 853)
}

/// An address for DNS over HTTPS, port 443 when left out.
pub fn https_listen_addr(s: &str) -> Result<SocketAddr, String> {
    addr_with_port(s, 443)
}

fn addr_with_port(s: &str, port: u16) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    let bare = s.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(s);
    bare.parse::<std::net::IpAddr>().map(|ip| SocketAddr::new(ip, port)).map_err(|_| {
        format!("{s}: expected an address, with or without a port (192.168.1.53, 127.0.0.1:5300, ::1, [::1]:5300)")
    })
}

fn tls_listen_addrs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<SocketAddr>>, D::Error> {
    let texts: Option<Vec<String>> = Option::deserialize(d)?;
    texts.map(|v| v.iter().map(|t| tls_listen_addr(t).map_err(serde::de::Error::custom)).collect()).transpose()
}

fn https_listen_addrs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<SocketAddr>>, D::Error> {
    let texts: Option<Vec<String>> = Option::deserialize(d)?;
    texts.map(|v| v.iter().map(|t| https_listen_addr(t).map_err(serde::de::Error::custom)).collect()).transpose()
}

fn listen_addrs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<SocketAddr>>, D::Error> {
    let texts: Option<Vec<String>> = Option::deserialize(d)?;
    texts.map(|v| v.iter().map(|t| listen_addr(t).map_err(serde::de::Error::custom)).collect()).transpose()
}

/// A `[[negative-trust-anchor]]` entry.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NegativeAnchor {
    /// The zone.
    pub zone: String,
    /// How long it holds, in seconds, from start-up.
    pub seconds: u64,
}

/// A `[[forward]]` or `[[stub]]` entry.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ZoneServers {
    /// The zone.
    pub zone: String,
    /// Server addresses with ports.
    pub servers: Vec<SocketAddr>,
}

/// `[policy]`.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PolicySection {
    /// Validate RSASHA1 (5, 7) rather than treat it as unsupported.
    pub rsasha1: Option<bool>,
    /// Validate RSA keys under 1024 bits.
    pub small_rsa: Option<bool>,
    /// Every algorithm the DS set lists must sign every RRset.
    pub harden_algo_downgrade: Option<bool>,
}

/// `[budgets]`.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Budgets {
    /// Upstream queries per client query.
    pub upstream_queries: Option<u32>,
    /// Referrals followed.
    pub referral_depth: Option<u32>,
    /// CNAMEs followed.
    pub cname_chain: Option<u32>,
    /// Seconds per resolution.
    pub time_seconds: Option<u64>,
    /// Signature verifications per client query.
    pub verifications: Option<u32>,
    /// RRSIGs tried per RRset.
    pub rrsigs_per_rrset: Option<usize>,
    /// Same-tag keys tried per RRSIG.
    pub keys_per_tag: Option<usize>,
    /// DS records considered per zone.
    pub ds_per_zone: Option<usize>,
    /// NSEC3 hash work per response, in SHA-1 blocks.
    pub nsec3_hash_blocks: Option<u64>,
    /// NSEC3 iterations above which answers are insecure.
    pub nsec3_iterations: Option<u16>,
    /// Client questions being resolved at once, in all.
    pub in_flight: Option<u32>,
    /// Client questions being resolved at once per client address.
    pub in_flight_per_client: Option<u32>,
    /// Records one RRset of a response may hold.
    pub rrset_records: Option<u32>,
    /// Records one response may hold.
    pub response_records: Option<u32>,
}

/// A configuration error: the file, and what is wrong where.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: {kind}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        kind: std::io::ErrorKind,
    },
    /// The TOML is malformed, a key unknown or a value of the wrong type
    /// (the message names the line, column and key).
    #[error("{}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// toml's message.
        message: String,
    },
    /// A value is well-formed TOML but not usable.
    #[error("{}: {key}: {message}", path.display())]
    Value {
        /// The file.
        path: PathBuf,
        /// The key.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// Read a configuration file.
pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| ConfigError::Io { path: path.to_path_buf(), kind: e.kind() })?;
    toml::from_str(&text)
        .map_err(|e| ConfigError::Syntax { path: path.to_path_buf(), message: e.to_string().trim_end().to_owned() })
}

impl FileConfig {
    /// Apply the file's resolver settings to `cfg`.
    pub fn apply(&self, path: &Path, cfg: &mut Config, now: u64) -> Result<(), ConfigError> {
        let bad = |key: &'static str, message: String| ConfigError::Value { path: path.to_path_buf(), key, message };
        let name = |key: &'static str, s: &str| s.parse::<Name>().map_err(|e| bad(key, format!("{s}: {e}")));
        if let Some(p) = self.authority_port {
            cfg.port = p;
        }
        if let Some(list) = &self.outbound_allow {
            let prefixes: Result<Vec<Prefix>, _> = list.iter().map(|p| p.parse::<Prefix>()).collect();
            cfg.outbound =
                Outbound { allow: Some(prefixes.map_err(|e| bad("outbound-allow", e))?), ..Outbound::default() };
        }
        if let Some(v6) = self.ipv6 {
            cfg.outbound.no_ipv6 = !v6;
        }
        if let Some(n) = self.cache_size {
            cfg.cache.capacity = n;
        }
        if let Some(v) = &self.cache_memory {
            cfg.cache.memory = memory_size(v).map_err(|e| bad("cache-memory", e))?;
        }
        for nta in self.negative_trust_anchor.iter().flatten() {
            cfg.anchors.add_negative(name("negative-trust-anchor.zone", &nta.zone)?, now + nta.seconds);
        }
        for f in self.forward.iter().flatten() {
            cfg.forwards.push(Forward { zone: name("forward.zone", &f.zone)?, servers: f.servers.clone() });
        }
        for f in self.stub.iter().flatten() {
            cfg.stubs.push(Forward { zone: name("stub.zone", &f.zone)?, servers: f.servers.clone() });
        }
        if let Some(b) = self.local_zones {
            cfg.local_zones = b;
        }
        for z in self.local_zones_off.iter().flatten() {
            cfg.local_zones_off.push(name("local-zones-off", z)?);
        }
        if let Some(b) = self.qname_minimisation {
            cfg.qname_minimisation = b;
        }
        if let Some(b) = self.aggressive_nsec {
            cfg.cache.aggressive_nsec = b;
        }
        if let Some(max) = self.serve_stale_max {
            cfg.cache.serve_stale = cfg.cache.serve_stale.map(|_| Duration::from_secs(max));
        }
        if let Some(b) = self.prefetch {
            cfg.cache.prefetch = b;
        }
        if let Some(secs) = self.expiry_warning {
            cfg.expiry_warning = Duration::from_secs(secs);
        }
        if self.serve_stale == Some(false) {
            cfg.cache.serve_stale = None;
        }
        if let Some(t) = self.stale_answer_client_timeout {
            cfg.stale_client_timeout =
                Duration::try_from_secs_f64(t).ok().filter(|d| !d.is_zero()).ok_or_else(|| ConfigError::Value {
                    path: path.to_path_buf(),
                    key: "stale-answer-client-timeout",
                    message: format!("{t}: expected seconds above 0"),
                })?;
        }
        if let Some(b) = self.minimal_responses {
            cfg.minimal_responses = b;
        }
        if let Some(b) = self.harden_unverified_glue {
            cfg.harden_unverified_glue = b;
        }
        if let Some(b) = self.case_randomisation {
            cfg.case_randomisation = b;
        }
        if let Some(b) = self.client_cookies {
            cfg.client_cookies = b;
        }
        if let Some(b) = self.harden_glue {
            cfg.harden_glue = b;
        }
        if let Some(b) = self.nta_ede {
            cfg.nta_ede = b;
        }
        if let Some(p) = &self.policy {
            cfg.validator.policy = Policy {
                rsasha1: p.rsasha1.unwrap_or(cfg.validator.policy.rsasha1),
                small_rsa: p.small_rsa.unwrap_or(cfg.validator.policy.small_rsa),
                // Never in service: DSA exists only for replaying old corpora.
                dsa: false,
            };
            if let Some(b) = p.harden_algo_downgrade {
                cfg.validator.all_algorithms = b;
            }
        }
        if let Some(b) = &self.budgets {
            let v = &mut cfg.validator.budget;
            macro_rules! set {
                ($field:expr, $value:expr) => {
                    if let Some(x) = $value {
                        $field = x;
                    }
                };
            }
            set!(cfg.max_queries, b.upstream_queries);
            set!(cfg.max_referrals, b.referral_depth);
            set!(cfg.max_cnames, b.cname_chain);
            set!(cfg.max_time, b.time_seconds.map(Duration::from_secs));
            set!(v.verifications, b.verifications);
            set!(v.sigs_per_rrset, b.rrsigs_per_rrset);
            set!(v.keys_per_tag, b.keys_per_tag);
            set!(v.ds_per_zone, b.ds_per_zone);
            set!(cfg.hash_budget, b.nsec3_hash_blocks);
            set!(cfg.denial.max_iterations, b.nsec3_iterations);
            set!(cfg.max_in_flight, b.in_flight);
            set!(cfg.max_in_flight_per_client, b.in_flight_per_client);
            set!(cfg.max_rrset_records, b.rrset_records);
            set!(cfg.max_response_records, b.response_records);
        }
        if let Some(level) = &self.log_level
            && !["error", "warn", "info", "debug"].contains(&level.as_str())
        {
            return Err(bad("log-level", format!("{level}: expected error, warn, info or debug")));
        }
        Ok(())
    }
}

/// `cache-memory`: octets as a number, or a string with a K, M or G suffix
/// (powers of 1024); at least 1 MiB.
fn memory_size(v: &toml::Value) -> Result<usize, String> {
    let n = match v {
        toml::Value::Integer(n) => usize::try_from(*n).map_err(|_| format!("{n}: expected octets"))?,
        toml::Value::String(s) => {
            let t = s.trim();
            let (digits, unit) = match t.char_indices().last() {
                Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_uppercase()),
                _ => (t, 'B'),
            };
            let shift = match unit {
                'B' => 0,
                'K' => 10,
                'M' => 20,
                'G' => 30,
                _ => return Err(format!("{s}: expected a number with K, M or G")),
            };
            let n: usize = digits.trim().parse().map_err(|_| format!("{s}: expected a number with K, M or G"))?;
            n.checked_shl(shift).filter(|m| m >> shift == n).ok_or_else(|| format!("{s}: too large"))?
        }
        other => return Err(format!("{other}: expected octets or a size like \"256M\"")),
    };
    if n < 1 << 20 {
        return Err(format!("{n}: at least 1M"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_memory_takes_octets_or_a_size_with_its_unit() {
        let v = |s: &str| memory_size(&toml::Value::String(s.to_owned()));
        assert_eq!(v("256M"), Ok(256 << 20));
        assert_eq!(v("2g"), Ok(2 << 30));
        assert_eq!(v("4096K"), Ok(4 << 20));
        assert_eq!(memory_size(&toml::Value::Integer(1 << 24)), Ok(1 << 24));
        for bad in ["", "M", "12X", "-5M", "1K", "99999999999999999999G"] {
            assert!(v(bad).is_err(), "{bad}");
        }
        assert!(memory_size(&toml::Value::Integer(-1)).is_err());
        assert!(memory_size(&toml::Value::Boolean(true)).is_err());
    }

    #[test]
    fn a_listen_address_may_leave_out_port_53() {
        let a = |s: &str| listen_addr(s).map(|a| a.to_string());
        assert_eq!(a("192.168.1.53"), Ok("192.168.1.53:53".to_owned()));
        assert_eq!(a("127.0.0.1:5300"), Ok("127.0.0.1:5300".to_owned()));
        assert_eq!(a("::1"), Ok("[::1]:53".to_owned()));
        assert_eq!(a("[::1]"), Ok("[::1]:53".to_owned()));
        assert_eq!(a("[::1]:5300"), Ok("[::1]:5300".to_owned()));
        for bad in ["", "localhost", "127.0.0.1:", "1.2.3.4:99999", "[::1"] {
            assert!(a(bad).is_err(), "{bad}");
        }
        let f: FileConfig = toml::from_str("listen = [\"192.168.1.53\", \"[::1]:5300\"]").unwrap();
        assert_eq!(
            f.listen.unwrap().iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["192.168.1.53:53", "[::1]:5300"]
        );
        assert!(toml::from_str::<FileConfig>("listen = [\"nowhere\"]").is_err());
        assert_eq!(toml::from_str::<FileConfig>("").unwrap().listen, None);
    }
}
