//! Finds the shared corpora (../shared beside the checkout, or
//! `CANDOR_SHARED`) for the end-to-end tests. Tests that need them are
//! compiled with `cfg(candor_shared)`; without it they are marked ignored,
//! with the reason, so a run without the corpora says what it skipped.
//! `CANDOR_REQUIRE_SHARED=1` (set by `.ci/run`) makes a missing corpus fail
//! the build instead.

use std::path::PathBuf;

/// The external tools the lab, serve and operations tests drive: BIND's
/// verifier, resolver, dig and delv, Knot's kdig, ldns's verifier,
/// setpriv, Prometheus's promtool (the metrics' format), systemd-analyze
/// (the shipped unit), dnsdist (the shipped load-balancer set-up) and
/// openssl (certificates for DNS over TLS, and its client).
const TOOLS: [&str; 17] = [
    "dig",
    "delv",
    "kdig",
    "dnssec-verify",
    "named",
    "named-checkconf",
    "unbound",
    "unbound-checkconf",
    "kresd",
    "pdns_recursor",
    "ldns-verify-zone",
    "setpriv",
    "promtool",
    "systemd-analyze",
    "dnsdist",
    "openssl",
    "curl",
];

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        || ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].iter().any(|d| std::path::Path::new(d).join(tool).is_file())
}

fn tools() {
    println!("cargo::rustc-check-cfg=cfg(candor_tools)");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=CANDOR_REQUIRE_TOOLS");
    for t in TOOLS {
        for d in ["/usr/sbin", "/usr/bin"] {
            println!("cargo::rerun-if-changed={d}/{t}");
        }
    }
    let missing: Vec<&str> = TOOLS.iter().copied().filter(|t| !on_path(t)).collect();
    if missing.is_empty() {
        println!("cargo::rustc-cfg=candor_tools");
    } else if std::env::var("CANDOR_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
        panic!(
            "CANDOR_REQUIRE_TOOLS=1 but these tools are missing: {missing:?} (apt-get install bind9 bind9-utils bind9-dnsutils ldnsutils knot-dnsutils unbound knot-resolver pdns-recursor prometheus systemd dnsdist openssl curl)"
        );
    } else {
        println!(
            "cargo::warning=missing {missing:?}: the lab tests that drive BIND and ldns are IGNORED (apt-get install bind9 bind9-utils bind9-dnsutils ldnsutils knot-dnsutils unbound knot-resolver pdns-recursor prometheus systemd dnsdist openssl curl)"
        );
    }
}

fn main() {
    tools();
    println!("cargo::rustc-check-cfg=cfg(candor_shared)");
    println!("cargo::rerun-if-env-changed=CANDOR_SHARED");
    println!("cargo::rerun-if-env-changed=CANDOR_REQUIRE_SHARED");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dir = match std::env::var_os("CANDOR_SHARED") {
        Some(d) => PathBuf::from(d),
        None => manifest.join("../../../shared"),
    };
    println!("cargo::rerun-if-changed={}", dir.display());
    let found = dir.join("vectors").is_dir() && dir.join("rpl").is_dir();
    if found {
        let abs = dir.canonicalize().unwrap_or(dir);
        println!("cargo::rustc-cfg=candor_shared");
        println!("cargo::rustc-env=CANDOR_SHARED_DIR={}", abs.display());
    } else {
        println!("cargo::rustc-env=CANDOR_SHARED_DIR=");
        if std::env::var("CANDOR_REQUIRE_SHARED").is_ok_and(|v| v == "1") {
            panic!(
                "CANDOR_REQUIRE_SHARED=1 but the shared corpora (vectors/, rpl/) are not at {}; set CANDOR_SHARED",
                dir.display()
            );
        }
        println!(
            "cargo::warning=shared corpora not found at {} (set CANDOR_SHARED): the tests that need them are IGNORED",
            dir.display()
        );
    }
}
