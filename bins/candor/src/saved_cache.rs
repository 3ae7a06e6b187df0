//! `serve`'s saved cache: read back in the background once candor serves
//! (verifying every secure entry again takes a while for a large cache:
//! queries are answered meanwhile, and what they resolve anew is not
//! overwritten), then saved every [`SAVE_EVERY`] and at shutdown (the
//! format, its checks and what is kept are the resolver's:
//! `candor_resolver::persist`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use candor_resolver::{NetTransport, PersistError};
use candor_server::Current;

use crate::upstream::AnyClock;

/// How often the cache is saved while candor runs.
pub(crate) const SAVE_EVERY: Duration = Duration::from_secs(300);

type Serving = Current<NetTransport, AnyClock>;

/// Read the saved cache back, saying what came of it.
pub(crate) async fn restore(current: &Arc<Serving>, path: &Path) {
    let resolver = current.get();
    let p = path.to_owned();
    let started = std::time::Instant::now();
    tracing::info!("reading the saved cache {} back", path.display());
    let outcome = tokio::task::spawn_blocking(move || resolver.restore_cache(&p)).await;
    match outcome {
        Ok(Ok(r)) => tracing::info!(
            "cache restored from {}: {} answers, {} RRsets, {} zone cuts in {} ms (saved {} s ago; {} ran out \
             meanwhile, {} did not verify again, {} were resolved anew first)",
            path.display(),
            r.answers,
            r.rrsets,
            r.cuts,
            started.elapsed().as_millis(),
            r.downtime,
            r.expired,
            r.unverified,
            r.newer
        ),
        Ok(Err(PersistError::Missing(_))) => tracing::info!("no saved cache at {}: starting empty", path.display()),
        Ok(Err(e)) => tracing::warn!("saved cache {} not used: {e}; starting empty", path.display()),
        Err(e) => tracing::warn!("saved cache {} not used: {e}", path.display()),
    }
}

/// One save at a time (a periodic one may still be writing when the
/// shutdown's starts; both write the same temporary file).
static SAVING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Save the cache now (off the runtime's workers).
pub(crate) async fn save(current: &Arc<Serving>, path: &Path, when: &str) {
    let resolver = current.get();
    let p = path.to_owned();
    let saving = move || {
        let _one = SAVING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let started = std::time::Instant::now();
        resolver.save_cache(&p).map(|s| (s, started.elapsed()))
    };
    match tokio::task::spawn_blocking(saving).await {
        Ok(Ok((s, took))) => {
            let text = format!(
                "cache saved to {} ({when}): {} answers, {} RRsets, {} zone cuts, {} octets in {} ms",
                path.display(),
                s.answers,
                s.rrsets,
                s.cuts,
                s.bytes,
                took.as_millis()
            );
            if when == "shutdown" {
                tracing::info!("{text}");
            } else {
                tracing::debug!("{text}");
            }
        }
        Ok(Err(e)) => tracing::warn!("cache not saved ({when}): {e}"),
        Err(e) => tracing::warn!("cache not saved ({when}): {e}"),
    }
}

/// The saved cache of a running server: its restore, then its saves.
pub(crate) struct SavedCache {
    path: PathBuf,
    /// The restore has finished (until then a save would write a partial
    /// cache over the file being read).
    restored: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl SavedCache {
    /// Read the file back, then save every [`SAVE_EVERY`].
    pub(crate) fn start(current: Arc<Serving>, path: PathBuf) -> SavedCache {
        let restored = Arc::new(AtomicBool::new(false));
        let (done, p) = (Arc::clone(&restored), path.clone());
        let task = tokio::spawn(async move {
            restore(&current, &p).await;
            done.store(true, Ordering::Release);
            let mut tick = tokio::time::interval(SAVE_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                save(&current, &p, "periodic").await;
            }
        });
        SavedCache { path, restored, task }
    }

    /// At shutdown: save, unless the restore has not finished (the file
    /// it was reading is then kept as it is).
    pub(crate) async fn stop(self, current: &Arc<Serving>) {
        self.task.abort();
        if self.restored.load(Ordering::Acquire) {
            save(current, &self.path, "shutdown").await;
        } else {
            tracing::info!("cache not saved: reading {} back had not finished; the file is kept", self.path.display());
        }
    }
}
