//! # candor (the binary's library)
//!
//! The command line: one module per subcommand (`serve`, `demo`, `lab`
//! with `lab check` in `lab_check` and its report formats in `lab_report`,
//! `replay`, `trace`, `verify-zone`, `control`, `bench` with its load
//! generator `loadgen` and its `report`), the configuration file
//! (`config`), and the set-up every resolving subcommand shares
//! (`upstream`: hints, anchors, upstream flags, the clock). The serving
//! itself (listeners, ACL, request checks, shaping, truncation, the reply
//! cache, the control socket) is `candor-server`'s. The executable
//! allocates through mimalloc (`main.rs`): a validated name's parsing and
//! caching make many small allocations, and glibc's malloc took a third of
//! the CPU of a flood of bogus signatures.
//!
//! **Must not know about**: resolver internals; it uses the resolver's and
//! the server's public APIs only. The `lab`, `demo`, `bench` and `replay`
//! subcommands link the lab and replay crates; `candor-server` and
//! `candor-resolver` never do (tests/architecture.rs checks it).
//!
//! **Known limitations**: `serve` runs as root unless `--user` is given;
//! `bench` reads CPU time from `/proc` (Linux) and its load generator
//! shares the machine with the lab, so on few cores the cached workload
//! measures the generator as much as the resolver.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod bench;
pub mod config;
mod control;
mod demo;
mod lab;
mod lab_check;
mod lab_report;
mod loadgen;
mod notify;
mod reload;
pub mod replay;
mod report;
mod saved_cache;
mod serve;
mod settings;
mod trace;
mod upstream;
mod verify_zone;

/// Exit status for a command-line usage error (sysexits `EX_USAGE`).
pub const EXIT_USAGE: u8 = 64;

/// A DNSSEC-validating recursive resolver that never fails silently.
#[derive(Debug, Parser)]
#[command(name = "candor", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve stub resolvers over UDP and TCP.
    Serve(Box<ServeArgs>),
    /// Run the built-in broken-zone lab and a resolver against it, offline.
    Demo(DemoArgs),
    /// Write (and optionally serve) the broken-zone lab.
    Lab(LabArgs),
    /// Replay Unbound/Deckard .rpl scenarios.
    Replay(ReplayArgs),
    /// Resolve a name and print its chain of trust, link by link.
    Trace(TraceArgs),
    /// Check a signed zone file offline.
    VerifyZone(VerifyZoneArgs),
    /// Steer a running `candor serve`: flush, negative trust anchors.
    Control(ControlArgs),
    /// Measure validation throughput and latency on the lab, offline.
    Bench(BenchArgs),
}

/// `candor bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Measure this resolver instead of starting one (it must use the
    /// lab: its root hints and trust anchor, see --lab-out).
    #[arg(long)]
    pub server: Option<SocketAddr>,
    /// With --server: the resolver's process, for its CPU time per query.
    #[arg(long, requires = "server")]
    pub server_pid: Option<u32>,
    /// With --server, when it is a `candor serve`: its control socket, for
    /// the verifications per second.
    #[arg(long, requires = "server")]
    pub server_control: Option<PathBuf>,
    /// With --server: do not start the lab; one is already served
    /// (`candor lab --serve --bench-names N --bench-all`, same --names).
    #[arg(long, requires = "server")]
    pub no_lab: bool,
    /// Write the lab's root hints and trust anchor here (for --server).
    #[arg(long)]
    pub lab_out: Option<PathBuf>,
    /// Port of the lab's authoritative servers.
    #[arg(long, default_value_t = 53053)]
    pub lab_port: u16,
    /// First address of the lab's loopback block.
    #[arg(long, default_value = "127.61.0.0")]
    pub block: std::net::Ipv4Addr,
    /// Signed names in each benchmark zone (each is asked once).
    #[arg(long, default_value_t = 10_000)]
    pub names: usize,
    /// Seconds each workload runs at most (it also ends when its names do).
    #[arg(long, default_value_t = 3.0)]
    pub duration: f64,
    /// Queries outstanding at once.
    #[arg(long, default_value_t = 20)]
    pub concurrency: usize,
    /// Queries per second in all (0: as fast as the answers come).
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Milliseconds after which an unanswered query counts as lost.
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
    /// Worker threads of the resolver started (not with --server).
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// Workloads to run, comma-separated (default: all; see --list).
    #[arg(long, value_delimiter = ',')]
    pub workloads: Vec<String>,
    /// List the workloads and exit.
    #[arg(long)]
    pub list: bool,
    /// Also draw the results: an SVG chart, or an HTML page (table and
    /// chart) when FILE ends in .html.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// `candor control`.
#[derive(Debug, Args)]
pub struct ControlArgs {
    /// The server's control socket, as given to `candor serve --control`
    /// (default as `candor serve`'s; `--socket` is the older spelling).
    #[arg(long = "control", alias = "socket")]
    pub socket: Option<PathBuf>,
    /// flush [NAME] | nta add ZONE [SECONDS] | nta list | nta remove ZONE | stats [--json] | expiring | why NAME [TYPE] [--json] [--trace]
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// Where the resolver looks for the root and what it trusts.
#[derive(Debug, Args)]
pub struct UpstreamArgs {
    /// Root hints file (named.root format); default: the built-in IANA hints.
    #[arg(long)]
    pub root_hints: Option<PathBuf>,
    /// Trust anchor file (DS or DNSKEY records); default: the IANA root anchor.
    #[arg(long)]
    pub trust_anchor: Option<PathBuf>,
    /// Only send upstream queries to these networks (e.g. 127.0.0.0/8).
    #[arg(long, value_name = "CIDR")]
    pub outbound_allow: Vec<String>,
    /// Port to use for authoritative servers (the lab's high port).
    #[arg(long)]
    pub authority_port: Option<u16>,
    /// Pin the validation clock (seconds since the epoch or YYYYMMDDHHmmSS).
    #[arg(long)]
    pub now: Option<String>,
}

/// `candor serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Addresses to listen on, each with or without a port (53 when
    /// left out): 192.168.1.53, 127.0.0.1:5300, ::1, [::1]:5300; default
    /// 127.0.0.1 and ::1.
    #[arg(long, value_parser = config::listen_addr)]
    pub listen: Vec<SocketAddr>,
    /// Serve DNS over TLS on this address (repeatable; port 853 when left
    /// out); needs --tls-cert and --tls-key.
    #[arg(long, value_parser = config::tls_listen_addr)]
    pub tls_listen: Vec<SocketAddr>,
    /// Serve DNS over HTTPS (RFC 8484, `/dns-query`, HTTP/2 and HTTP/1.1)
    /// on this address (repeatable; port 443 when left out); needs
    /// --tls-cert and --tls-key.
    #[arg(long, value_parser = config::https_listen_addr)]
    pub https_listen: Vec<SocketAddr>,
    /// The certificate chain for DNS over TLS and HTTPS (PEM; read again on SIGHUP).
    #[arg(long)]
    pub tls_cert: Option<PathBuf>,
    /// The private key for DNS over TLS and HTTPS (PEM; read again on SIGHUP).
    #[arg(long)]
    pub tls_key: Option<PathBuf>,
    /// Configuration file (TOML).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Drop privileges to this user after binding.
    #[arg(long)]
    pub user: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Networks allowed to query (repeatable); default loopback and private ranges.
    #[arg(long, value_name = "CIDR")]
    pub allow: Vec<String>,
    /// Networks refused (REFUSED + EDE 18) even inside an allowed one
    /// (repeatable; the longest prefix decides).
    #[arg(long, value_name = "CIDR")]
    pub refuse: Vec<String>,
    /// Networks whose queries are dropped without an answer (repeatable).
    #[arg(long, value_name = "CIDR")]
    pub drop: Vec<String>,
    /// Answers per second over UDP per client network (/24, /56); off by
    /// default (a LAN behind NAT is many hosts at one address); turn it on
    /// for a resolver reachable from outside.
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// Every N-th query over the rate gets an empty truncated answer
    /// (TC=1, to retry over TCP) instead of none (default 2; 0: none).
    #[arg(long, value_name = "N")]
    pub rate_limit_slip: Option<u32>,
    /// The secret of server cookies (RFC 7873, RFC 9018): 32 hex digits,
    /// the same on every node behind one address (anycast, dnsdist);
    /// default: drawn at start and rolled over daily.
    #[arg(long, value_name = "HEX")]
    pub cookie_secret: Option<String>,
    /// Answer no DNS cookies (they are answered by default).
    #[arg(long)]
    pub no_cookies: bool,
    /// Load balancers (dnsdist with `useProxyProtocol`) whose queries
    /// carry a PROXY v2 header naming the real client (repeatable;
    /// prefixes). The ACL, per-client limits and logs see that client.
    #[arg(long, value_name = "CIDR")]
    pub proxy_allow: Vec<String>,
    /// Where the RFC 5011 trust-anchor state is kept; default
    /// /var/lib/candor/root-anchor.state as root, else
    /// $XDG_STATE_HOME/candor/root-anchor.state (~/.local/state/...).
    #[arg(long)]
    pub anchor_state: Option<PathBuf>,
    /// Do not update the root trust anchor automatically (RFC 5011).
    #[arg(long)]
    pub no_rfc5011: bool,
    /// Log level: error, warn, info or debug (default info).
    #[arg(long)]
    pub log_level: Option<String>,
    /// Log as JSON lines instead of human text.
    #[arg(long)]
    pub log_json: bool,
    /// The control socket (default /run/candor/control.sock as root, else
    /// $XDG_RUNTIME_DIR/candor/control.sock).
    #[arg(long)]
    pub control: Option<PathBuf>,
    /// Serve Prometheus metrics over HTTP on this address (`/metrics`;
    /// off by default), e.g. 127.0.0.1:9153.
    #[arg(long)]
    pub metrics_listen: Option<SocketAddr>,
    /// Log every answered query as a JSON line to this file (`-`: stderr;
    /// off by default).
    #[arg(long)]
    pub query_log: Option<PathBuf>,
    /// The fraction of queries the query log keeps (default 1: all).
    #[arg(long)]
    pub query_log_sample: Option<f64>,
    /// Save the cache to this file every 5 minutes and at shutdown, and
    /// read it back at start-up (default: `cache.state` beside the RFC
    /// 5011 state, when one is kept).
    #[arg(long, conflicts_with = "no_cache_state")]
    pub cache_state: Option<PathBuf>,
    /// Start with an empty cache and never save it.
    #[arg(long)]
    pub no_cache_state: bool,
    /// Upstream settings.
    #[command(flatten)]
    pub upstream: UpstreamArgs,
}

/// `candor demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the demo resolver listens (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Port of the lab's authoritative servers.
    #[arg(long, default_value_t = 53053)]
    pub lab_port: u16,
    /// First address of the lab's loopback block.
    #[arg(long, default_value = "127.53.0.0")]
    pub block: std::net::Ipv4Addr,
}

/// `candor lab`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct LabArgs {
    /// Check a resolver against a served lab instead.
    #[command(subcommand)]
    pub action: Option<LabAction>,
    /// Directory for the zone files, hints, anchors, case list and the
    /// ready configurations of other resolvers.
    #[arg(long, required = true)]
    pub out: Option<PathBuf>,
    /// Where the other resolvers' configurations written under DIR/resolvers
    /// listen (their stub-facing address).
    #[arg(long, default_value = "127.0.0.1:5300")]
    pub resolver_listen: SocketAddr,
    /// Port the lab's servers listen on (53 needs privileges).
    #[arg(long, default_value_t = 53)]
    pub port: u16,
    /// First address of the lab's loopback block (zone i listens on block + i).
    #[arg(long, default_value = "127.53.0.0")]
    pub block: std::net::Ipv4Addr,
    /// The lab's time (seconds since the epoch or YYYYMMDDHHmmSS); default now.
    #[arg(long)]
    pub now: Option<String>,
    /// Serve the zones until interrupted.
    #[arg(long)]
    pub serve: bool,
    /// Add the benchmark zone bench.test. with this many signed names.
    #[arg(long, default_value_t = 0)]
    pub bench_names: usize,
    /// With --bench-names, also the zones `candor bench` uses: bench8.test.
    /// (RSA), bench15.test. (Ed25519), bench-nsec3.test., bench-bogus.test.
    #[arg(long, conflicts_with = "bench_zones")]
    pub bench_all: bool,
    /// With --bench-names, these benchmark zones instead of bench.test.
    /// (comma-separated labels: bench, bench8, bench15, bench-nsec3,
    /// bench-bogus).
    #[arg(long, value_delimiter = ',', value_name = "LABELS")]
    pub bench_zones: Vec<String>,
}

/// What `candor lab` does besides writing and serving the lab.
#[derive(Debug, Subcommand)]
pub enum LabAction {
    /// Ask a resolver pointed at a served lab every case, as a stub, and
    /// compare its answers with the catalogue.
    Check(LabCheckArgs),
}

/// `candor lab check`.
#[derive(Debug, Args)]
pub struct LabCheckArgs {
    /// The resolver to check: ADDR or ADDR:PORT (port 53 when left out).
    #[arg(long)]
    pub server: String,
    /// The directory `candor lab --out` wrote (its cases.tsv is read).
    #[arg(long, default_value = "lab")]
    pub lab: PathBuf,
    /// What must match: the verdict (rcode and AD), also the EDE code, or
    /// also the evidence in the extra-text.
    #[arg(long, value_enum, default_value_t = lab_check::Compare::Ede)]
    pub compare: lab_check::Compare,
    /// The report's format.
    #[arg(long, value_enum, default_value_t = lab_report::Format::Table)]
    pub format: lab_report::Format,
    /// Only the cases whose names match one of these globs (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub cases: Vec<String>,
    /// Differences accepted, one a line: a case name (or glob) and the reason.
    #[arg(long, value_name = "FILE")]
    pub allow: Option<PathBuf>,
    /// The resolver's clock runs this many seconds off the lab's time: the
    /// cases that need that offset are asked, the others skipped.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub clock_offset: i64,
    /// Also ask the cases whose glue is a special-purpose address outside
    /// loopback (a resolver that does not refuse them sends queries there).
    #[arg(long)]
    pub offnet_glue: bool,
    /// The resolver signs off only RRsets signed by every algorithm of the
    /// DS set (Unbound's harden-algo-downgrade): expect that policy's verdicts.
    #[arg(long)]
    pub harden_algo_downgrade: bool,
    /// Seconds to wait for each answer (some resolvers take more than ten
    /// on an unreachable zone).
    #[arg(long, default_value_t = 20)]
    pub timeout: u64,
}

/// `candor replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Scenario files (the dialect comes from the directory: `deckard/` or not).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Compare only rcode, AD/CD/RA and the answer section (FORMAT.md
    /// §6.4's lenient tier) instead of the recommended comparison.
    #[arg(long)]
    pub lenient: bool,
}

/// `candor trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The name to resolve.
    pub name: String,
    /// The type (default A).
    pub rtype: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Compare the local clock with the root's signature windows.
    #[arg(long)]
    pub clock: bool,
    /// Ask this server (with CD) instead of resolving iteratively.
    #[arg(long)]
    pub server: Option<SocketAddr>,
    /// Upstream settings.
    #[command(flatten)]
    pub upstream: UpstreamArgs,
}

/// `candor verify-zone`.
#[derive(Debug, Args)]
pub struct VerifyZoneArgs {
    /// The signed zone file.
    pub file: PathBuf,
    /// The zone's origin.
    #[arg(long)]
    pub origin: String,
    /// A file with the zone's DS records, to check against a KSK.
    #[arg(long)]
    pub ds: Option<PathBuf>,
    /// Warn when a signature expires within this many days.
    #[arg(long, default_value_t = 7)]
    pub warn_days: u32,
    /// Check as if the time were this (seconds since the epoch or YYYYMMDDHHmmSS).
    #[arg(long)]
    pub now: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Send `tracing` output to stderr at `level` (text, or JSON lines).
pub fn init_logging(level: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::new(level);
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi)
        // A log that cannot be written (stderr closed) must not cost an
        // answer: the subscriber's own report of it would panic the task.
        .log_internal_errors(false);
    // A second initialisation (tests) keeps the first subscriber. The
    // filter can be changed later (a reload's `log-level`).
    let set: SetLevel = if json {
        let b = b.json().with_filter_reloading();
        let handle = b.reload_handle();
        if b.try_init().is_err() {
            return;
        }
        Box::new(move |l| handle.reload(tracing_subscriber::EnvFilter::new(l)).map_err(|e| e.to_string()))
    } else {
        let b = b.with_filter_reloading();
        let handle = b.reload_handle();
        if b.try_init().is_err() {
            return;
        }
        Box::new(move |l| handle.reload(tracing_subscriber::EnvFilter::new(l)).map_err(|e| e.to_string()))
    };
    let _ = LOG_LEVEL.set(set);
}

/// The log levels `log-level` takes.
pub(crate) const LOG_LEVELS: [&str; 4] = ["error", "warn", "info", "debug"];

/// Changes the log filter of the subscriber [`init_logging`] installed.
type SetLevel = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

static LOG_LEVEL: std::sync::OnceLock<SetLevel> = std::sync::OnceLock::new();

/// Log at `level` from now on (error, warn, info, debug).
pub(crate) fn set_log_level(level: &str) -> Result<(), String> {
    match LOG_LEVEL.get() {
        Some(set) => set(level),
        None => Err("logging was not set up".to_owned()),
    }
}

/// Parse the arguments and run; returns the process exit status.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            // Printing help or an error only fails when stdout/stderr are gone.
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Lab(args) => lab::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Control(args) => control::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Trace(args) => trace::run(&args),
        Command::VerifyZone(args) => verify_zone::run(&args),
        Command::Bench(args) => bench::run(&args),
    }
}
