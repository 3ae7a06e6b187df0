//! Shared helpers for the end-to-end suites.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The shared corpora directory, found by `bins/candor/build.rs`
/// (`CANDOR_SHARED`, default `../shared` beside the checkout). Tests that
/// call this carry `#[cfg_attr(not(candor_shared), ignore = ...)]`, so they
/// only run when it exists.
pub(crate) fn shared() -> PathBuf {
    let dir = env!("CANDOR_SHARED_DIR");
    assert!(!dir.is_empty(), "shared corpora not found at build time; set CANDOR_SHARED and rebuild");
    PathBuf::from(dir)
}

/// The workspace's `testdata/` directory.
pub(crate) fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// A child process killed (and reaped) when the test is done with it.
pub(crate) struct Guard(pub(crate) Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free for UDP and TCP alike (candor binds both).
pub(crate) fn free_port() -> u16 {
    loop {
        let u = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = u.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// `dig @127.0.0.1 -p PORT +time=5 +tries=1 ARGS...`: what it printed.
pub(crate) fn dig(port: u16, args: &[&str]) -> String {
    let out = Command::new("dig")
        .args(["@127.0.0.1", "-p", &port.to_string(), "+time=5", "+tries=1"])
        .args(args)
        .output()
        .expect("dig");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Poll `ready` every 200 ms for up to 30 s; fail naming `what`.
pub(crate) fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < Duration::from_secs(30), "{what} did not come up");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A fresh scratch directory for one test, named after it and the process.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("candor-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `candor lab --serve` on `port` of the loopback block `block` (e.g.
/// "127.65.0.0"), written to `dir`; back once its files are there.
pub(crate) fn start_lab(dir: &std::path::Path, block: &str, port: u16) -> Guard {
    let lab = Guard(
        Command::new(env!("CARGO_BIN_EXE_candor"))
            .args(["lab", "--serve", "--block", block, "--port", &port.to_string(), "--out"])
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for("the lab", || dir.join("cases.tsv").exists() && dir.join("root.key").exists());
    std::thread::sleep(Duration::from_millis(500));
    lab
}

/// `candor serve` resolving through the lab written to `dir` (its hints
/// and anchor, its port, loopback servers allowed, no RFC 5011 state);
/// the caller adds where it listens and the rest.
pub(crate) fn serve_over_lab(dir: &std::path::Path, lab_port: u16) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_candor"));
    c.args(["serve", "--root-hints"])
        .arg(dir.join("root.hints"))
        .arg("--trust-anchor")
        .arg(dir.join("root.key"))
        .args(["--authority-port", &lab_port.to_string(), "--outbound-allow", "127.0.0.0/8", "--no-rfc5011"])
        .stdout(std::process::Stdio::null());
    c
}
