//! The control socket: an operator who fixed a zone flushes it, or puts a
//! negative trust anchor on one, without restarting (`candor control ...`).
//! One line in (`flush [NAME]`, `nta add ZONE [SECONDS]`, `nta list`,
//! `nta remove ZONE`, `stats [--json]`, `expiring` (the zones whose signatures
//! expire soonest, from live traffic), `why NAME [TYPE] [--json] [--trace]`), lines out, the
//! last `ok` or `error: ...`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use candor_resolver::{Clock, Transport};
use candor_wire::Name;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;

use crate::current::Current;
use crate::metrics::Snapshot;

/// Zones `expiring` lists at most.
const EXPIRING_LISTED: usize = 50;

/// How long `nta add` holds without a duration: one day.
const DEFAULT_NTA_SECONDS: u64 = 86_400;

/// The default control socket: in the service's runtime directory when
/// systemd made one (`RuntimeDirectory=`, `$RUNTIME_DIRECTORY`), else
/// /run/candor/control.sock as root, else in the user's runtime (or
/// state) directory.
pub fn default_socket() -> PathBuf {
    candidates().into_iter().next().unwrap_or_else(|| PathBuf::from("/run/candor/control.sock"))
}

/// Where a control socket may be, most likely first: `$RUNTIME_DIRECTORY`
/// (systemd's), /run/candor (as root), the user's runtime directory, the
/// user's state directory. `candor control` without `--control` uses the
/// first that exists, so root finds the socket of a server run by a user
/// and a user finds the service's.
pub fn candidates() -> Vec<PathBuf> {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false);
    let var = |k: &str| std::env::var_os(k).filter(|x| !x.is_empty()).map(PathBuf::from);
    let mut out = Vec::new();
    // systemd may list several directories, colon-separated: the first is ours.
    if let Some(dirs) = std::env::var("RUNTIME_DIRECTORY").ok().filter(|x| !x.is_empty())
        && let Some(first) = dirs.split(':').next()
    {
        out.push(PathBuf::from(first).join("control.sock"));
    }
    let system = PathBuf::from("/run/candor/control.sock");
    if root {
        out.push(system.clone());
    }
    out.extend(var("XDG_RUNTIME_DIR").map(|d| d.join("candor/control.sock")));
    out.extend(var("HOME").map(|h| h.join(".local/state/candor/control.sock")));
    if !root {
        out.push(std::env::temp_dir().join("candor/control.sock"));
        out.push(system);
    }
    out
}

/// Carry out one command line against the resolver.
async fn execute<T: Transport, C: Clock>(current: &Current<T, C>, line: &str) -> Vec<String> {
    let resolver = &*current.get();
    let words: Vec<&str> = line.split_whitespace().collect();
    let name = |s: &str| s.parse::<Name>().map_err(|e| format!("error: {s}: {e}"));
    let result: Result<Vec<String>, String> = match words.as_slice() {
        ["flush"] => {
            resolver.flush_all();
            Ok(vec!["flushed everything".to_owned()])
        }
        ["flush", n] => name(n).map(|z| {
            resolver.flush(&z);
            vec![format!("flushed {z} and below")]
        }),
        ["nta", "add", n, rest @ ..] => {
            let seconds = match rest {
                [] => Ok(DEFAULT_NTA_SECONDS),
                [s] => s.parse::<u64>().map_err(|_| format!("error: {s}: expected seconds")),
                _ => Err("error: nta add ZONE [SECONDS]".to_owned()),
            };
            seconds.and_then(|secs| {
                let z = name(n)?;
                resolver.add_negative_anchor(z.clone(), secs);
                resolver.flush(&z);
                Ok(vec![format!("negative trust anchor {z} for {secs} s")])
            })
        }
        ["stats"] => Ok(Snapshot::read(current).lines(false)),
        ["stats", "--json"] => Ok(Snapshot::read(current).lines(true)),
        ["why", rest @ ..] => crate::why::why(resolver, rest).await,
        ["expiring"] => {
            let now = resolver.unix_now();
            Ok(resolver
                .expiring(EXPIRING_LISTED)
                .into_iter()
                .map(|(zone, exp)| {
                    let left = candor_resolver::time_text::span(candor_resolver::time_text::until(exp, now));
                    format!("{zone} {} in {left}", candor_resolver::time_text::iso(exp))
                })
                .collect())
        }
        ["nta", "list"] => Ok(resolver.negative_anchors().into_iter().map(|(z, left)| format!("{z} {left}")).collect()),
        ["nta", "remove", n] => name(n).and_then(|z| {
            if resolver.remove_negative_anchor(&z) {
                resolver.flush(&z);
                Ok(vec![format!("removed {z}")])
            } else {
                Err(format!("error: no negative trust anchor for {z}"))
            }
        }),
        _ => {
            Err("error: expected flush [NAME] | nta add ZONE [SECONDS] | nta list | nta remove ZONE | stats [--json] | expiring | why NAME [TYPE] [--json] [--trace]"
                .to_owned())
        }
    };
    match result {
        Ok(mut lines) => {
            lines.push("ok".to_owned());
            lines
        }
        Err(e) => vec![e],
    }
}

/// The control socket being served; [`ControlSocket::close`] removes the
/// file only while it is still this one (not a later instance's).
#[derive(Debug)]
pub struct ControlSocket {
    task: tokio::task::JoinHandle<()>,
    path: PathBuf,
    /// Device and inode of the socket file bound.
    identity: (u64, u64),
}

impl ControlSocket {
    /// Stop serving, and remove the socket file if it is still ours.
    pub fn close(self) {
        self.task.abort();
        if identity(&self.path).is_some_and(|id| id == self.identity) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Listen on `path` for control commands. A socket file another live
/// candor answers on is left alone (an error: two servers must not share
/// one socket); a stale one (nobody listening) is replaced.
pub fn listen<T, C>(resolver: Arc<Current<T, C>>, path: &Path) -> std::io::Result<ControlSocket>
where
    T: Transport + 'static,
    C: Clock + 'static,
{
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "another candor answers on this control socket (give this one its own: --control PATH)",
        ));
    }
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    // Only the owner may steer the resolver.
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    let identity = identity(path).unwrap_or_default();
    let task = serve(resolver, listener);
    Ok(ControlSocket { task, path: path.to_path_buf(), identity })
}

fn serve<T, C>(resolver: Arc<Current<T, C>>, listener: UnixListener) -> tokio::task::JoinHandle<()>
where
    T: Transport + 'static,
    C: Clock + 'static,
{
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let current = Arc::clone(&resolver);
            tokio::spawn(async move {
                let (rd, mut wr) = stream.into_split();
                let mut lines = BufReader::new(rd).lines();
                if let Ok(Some(line)) = lines.next_line().await {
                    tracing::info!("control: {line}");
                    for out in execute(&current, &line).await {
                        let _ = wr.write_all(format!("{out}\n").as_bytes()).await;
                    }
                }
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candor_resolver::{Config, ManualClock, NetTransport, Resolver};

    fn current() -> Arc<Current<NetTransport, ManualClock>> {
        let cfg = Config::new(Vec::new(), candor_anchor::Anchors::empty());
        Current::new(Resolver::new(cfg, NetTransport::new(), ManualClock::at(0)))
    }

    #[tokio::test]
    async fn a_live_socket_is_not_taken_over_and_only_our_own_file_is_removed() {
        let dir = std::env::temp_dir().join(format!("candor-control-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("control.sock");
        let first = listen(current(), &path).unwrap();
        let second = listen(current(), &path).unwrap_err();
        assert_eq!(second.kind(), std::io::ErrorKind::AddrInUse);
        assert!(std::os::unix::net::UnixStream::connect(&path).is_ok(), "the first still answers");
        first.close();
        assert!(!path.exists(), "closed: its file removed");
        // A stale file (nobody listening) is replaced.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let mine = listen(current(), &path).unwrap();
        // Someone else's socket at the path by the time we close: left alone.
        std::fs::remove_file(&path).unwrap();
        let _theirs = std::os::unix::net::UnixListener::bind(&path).unwrap();
        mine.close();
        assert!(path.exists(), "not ours: kept");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
