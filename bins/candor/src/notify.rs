//! systemd's readiness protocol (`Type=notify`, sd_notify(3)): a datagram
//! to `$NOTIFY_SOCKET` saying `READY=1` once every listener is bound,
//! `RELOADING=1` (with the monotonic time) while a SIGHUP is applied and
//! `READY=1` after it, `STOPPING=1` on the way out. Without the variable
//! (not started by systemd) nothing is sent. A message that cannot be
//! sent is logged, never fatal.

use std::os::unix::net::UnixDatagram;

/// Send `state` (newline-separated `KEY=value` lines) to the service
/// manager, if one is listening.
pub(crate) fn notify(state: &str) {
    if let Some(path) = std::env::var_os("NOTIFY_SOCKET")
        && let Err(e) = notify_to(&path, state)
    {
        tracing::warn!("could not tell the service manager {state:?}: {e}");
    }
}

/// Send `state` to the socket at `path` (`@name`: an abstract socket).
fn notify_to(path: &std::ffi::OsStr, state: &str) -> std::io::Result<usize> {
    let s = UnixDatagram::unbound()?;
    match path.as_encoded_bytes().strip_prefix(b"@") {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            s.send_to_addr(state.as_bytes(), &std::os::unix::net::SocketAddr::from_abstract_name(name)?)
        }
        None => s.send_to(state.as_bytes(), path),
    }
}

/// `RELOADING=1` with `MONOTONIC_USEC` (systemd wants the clock that
/// stamped the reload).
pub(crate) fn reloading() {
    let usec = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(|t| t.tv_sec() as u64 * 1_000_000 + t.tv_nsec() as u64 / 1000)
        .unwrap_or(0);
    notify(&format!("RELOADING=1\nMONOTONIC_USEC={usec}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_goes_to_the_socket_named_by_path_or_abstract_name() {
        let dir = std::env::temp_dir().join(format!("candor-notify-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.sock");
        let listener = UnixDatagram::bind(&path).unwrap();
        notify_to(path.as_os_str(), "READY=1").unwrap();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        use std::os::linux::net::SocketAddrExt;
        let name = format!("candor-notify-test-{}", std::process::id());
        let abstract_listener =
            UnixDatagram::bind_addr(&std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
                .unwrap();
        notify_to(std::ffi::OsStr::new(&format!("@{name}")), "STOPPING=1").unwrap();
        let n = abstract_listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1");
        assert!(notify_to(dir.join("nobody").as_os_str(), "READY=1").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
