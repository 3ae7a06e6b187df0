//! The control socket: an operator who fixed a zone flushes it, or puts a
//! negative trust anchor on one, without restarting (`candor control ...`).
//! One line in (`flush [NAME]`, `nta add ZONE [SECONDS]`, `nta list`,
//! `nta remove ZONE`, `stats [--json]`, `why NAME [TYPE] [--json] [--trace]`), lines out, the
//! last `ok` or `error: ...`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use candor_resolver::{Clock, Transport};
use candor_wire::Name;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;

use crate::current::Current;
use crate::metrics::Snapshot;

/// How long `nta add` holds without a duration: one day.
const DEFAULT_NTA_SECONDS: u64 = 86_400;

/// The default control socket: /run/candor/control.sock as root, else in
/// the user's runtime (or state) directory.
pub fn default_socket() -> PathBuf {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false);
    if root {
        return PathBuf::from("/run/candor/control.sock");
    }
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|x| !x.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("candor").join("control.sock")
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
            Err("error: expected flush [NAME] | nta add ZONE [SECONDS] | nta list | nta remove ZONE | stats [--json] | why NAME [TYPE] [--json] [--trace]"
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

/// Listen on `path` for control commands (the old socket file is replaced).
pub fn listen<T, C>(resolver: Arc<Current<T, C>>, path: &Path) -> std::io::Result<tokio::task::JoinHandle<()>>
where
    T: Transport + 'static,
    C: Clock + 'static,
{
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    // Only the owner may steer the resolver.
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(tokio::spawn(async move {
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
    }))
}
