//! `serve`'s saved cache: read back before candor says it is ready,
//! saved every [`SAVE_EVERY`] and at shutdown (the format, its checks and
//! what is kept are the resolver's: `candor_resolver::persist`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
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
    let outcome = tokio::task::spawn_blocking(move || resolver.restore_cache(&p)).await;
    match outcome {
        Ok(Ok(r)) => tracing::info!(
            "cache restored from {}: {} answers, {} RRsets, {} zone cuts in {} ms (saved {} s ago; {} ran out \
             meanwhile, {} did not verify again)",
            path.display(),
            r.answers,
            r.rrsets,
            r.cuts,
            started.elapsed().as_millis(),
            r.downtime,
            r.expired,
            r.unverified
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
        resolver.save_cache(&p)
    };
    match tokio::task::spawn_blocking(saving).await {
        Ok(Ok(s)) => {
            let text = format!(
                "cache saved to {} ({when}): {} answers, {} RRsets, {} zone cuts, {} octets",
                path.display(),
                s.answers,
                s.rrsets,
                s.cuts,
                s.bytes
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

/// Save every [`SAVE_EVERY`] until aborted.
pub(crate) fn every_few_minutes(current: Arc<Serving>, path: PathBuf) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SAVE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            save(&current, &path, "periodic").await;
        }
    })
}
