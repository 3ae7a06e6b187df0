//! Where every resolving subcommand's resolver starts: the root hints and
//! trust anchor (files, else the IANA defaults), the upstream flags, and
//! the wall clock or a pinned one.

use std::time::Duration;

use candor_anchor::Anchors;
use candor_resolver::{Clock, Config, ManualClock, Outbound, Prefix, RootHints, SystemClock};

/// The wall clock, or a pinned one (`--now`).
#[derive(Clone)]
pub(crate) enum AnyClock {
    System(SystemClock),
    Pinned(ManualClock, SystemClock),
}

impl AnyClock {
    /// The wall clock, or pinned at `--now` when given (a usage error if
    /// it does not parse).
    pub(crate) fn from_flag(now: Option<&str>) -> Result<AnyClock, String> {
        match now {
            None => Ok(AnyClock::System(SystemClock::new())),
            Some(t) => Ok(AnyClock::Pinned(ManualClock::at(crate::lab::parse_now(Some(t))?), SystemClock::new())),
        }
    }
}

impl Clock for AnyClock {
    fn unix(&self) -> u64 {
        match self {
            AnyClock::System(c) => c.unix(),
            AnyClock::Pinned(c, _) => c.unix(),
        }
    }
    fn monotonic(&self) -> Duration {
        match self {
            // A pinned wall clock still needs real monotonic time for TTLs.
            AnyClock::System(c) => c.monotonic(),
            AnyClock::Pinned(_, mono) => mono.monotonic(),
        }
    }
}

pub(crate) fn prefixes(list: &[String], what: &str) -> Result<Vec<Prefix>, String> {
    list.iter().map(|p| p.parse::<Prefix>().map_err(|e| format!("{what} {e}"))).collect()
}

/// The roots and anchors (a file, else the IANA defaults): the resolver
/// configuration every subcommand that resolves starts from.
pub(crate) fn base_config(hints: Option<&std::path::Path>, anchor: Option<&std::path::Path>) -> Result<Config, String> {
    let hints = match hints {
        Some(p) => RootHints::from_file(p).map_err(|e| format!("root hints {}: {e}", p.display()))?,
        None => RootHints::iana(),
    };
    let anchors = match anchor {
        Some(p) => Anchors::from_file(p).map_err(|e| format!("trust anchor {}: {e}", p.display()))?,
        None => Anchors::iana_root(),
    };
    Ok(Config::new(hints.addresses(), anchors))
}

/// The upstream flags that override everything else: the authorities'
/// port and the networks queries may go to.
pub(crate) fn apply_upstream_flags(up: &crate::UpstreamArgs, cfg: &mut Config) -> Result<(), String> {
    if let Some(port) = up.authority_port {
        cfg.port = port;
    }
    if !up.outbound_allow.is_empty() {
        cfg.outbound =
            Outbound { allow: Some(prefixes(&up.outbound_allow, "--outbound-allow")?), ..Outbound::default() };
    }
    Ok(())
}
