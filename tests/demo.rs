//! `candor demo`, the README's main command, run as a user would: every
//! lab case resolved through the real server socket as expected, offline,
//! as an unprivileged user when the tests run as root.

use std::process::Command;

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn demo_resolves_every_case_as_expected() {
    let root = String::from_utf8_lossy(&Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0";
    let port = free_port().to_string();
    let args = ["demo", "--lab-port", &port, "--block", "127.60.0.0"];
    let out = if root && std::path::Path::new("/usr/bin/setpriv").exists() {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_candor"))
            .args(args)
            .output()
            .unwrap()
    } else {
        Command::new(env!("CARGO_BIN_EXE_candor")).args(args).output().unwrap()
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.starts_with("demo: ") && summary.ends_with(" passed, 0 failed"), "{summary}");
    let passed: usize = summary.trim_start_matches("demo: ").split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 85, "{summary}");
    // The table shows the extra-text a stub sees.
    assert!(stdout.contains("rrsig-exp-all") && stdout.contains(") expired 20"), "{stdout}");
    // Each broken case's text holds the evidence the catalogue derives
    // from its zone (a row lacking any is WRONG and says what it lacks).
    assert!(!stdout.contains("the extra-text lacks"), "{stdout}");
    assert!(stdout.contains("the local clock (") && stdout.contains("days ahead; fix this host's time"), "{stdout}");
}
