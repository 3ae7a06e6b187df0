//! Identical questions merged: while one resolution of a name and type is
//! under way, the same question from anyone else waits for its result
//! instead of starting another (N identical client questions must not put
//! N upstream queries in flight: that is a spoofer's birthday attack, and
//! N times the work).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use candor_wire::{Name, RType};
use tokio::sync::watch;

use crate::security::Resolution;
use crate::sync::lock;

type Key = (Name, RType);

/// The resolutions under way, by question.
#[derive(Default)]
pub(crate) struct InFlight {
    running: Mutex<HashMap<Key, watch::Receiver<Option<Resolution>>>>,
    merged: AtomicU64,
}

/// What a question joining [`InFlight`] does.
pub(crate) enum Join<'a> {
    /// Resolve it; hand the result to [`Leader::finish`].
    Lead(Leader<'a>),
    /// Wait for the resolution already under way.
    Follow(watch::Receiver<Option<Resolution>>),
}

/// The one resolution of a question; dropping it (finished or cancelled)
/// lets the next identical question lead.
pub(crate) struct Leader<'a> {
    flight: &'a InFlight,
    key: Key,
    tx: watch::Sender<Option<Resolution>>,
}

impl InFlight {
    /// Join the resolution of `qname`/`qtype`: lead it, or follow the one
    /// under way.
    pub(crate) fn join(&self, qname: &Name, qtype: RType) -> Join<'_> {
        let key = (qname.clone(), qtype);
        let mut running = lock(&self.running);
        if let Some(rx) = running.get(&key) {
            self.merged.fetch_add(1, Ordering::Relaxed);
            return Join::Follow(rx.clone());
        }
        let (tx, rx) = watch::channel(None);
        running.insert(key.clone(), rx);
        Join::Lead(Leader { flight: self, key, tx })
    }

    /// Questions that waited for an identical one instead of resolving.
    pub(crate) fn merged(&self) -> u64 {
        self.merged.load(Ordering::Relaxed)
    }

    /// Resolutions under way.
    pub(crate) fn running(&self) -> usize {
        lock(&self.running).len()
    }
}

impl Leader<'_> {
    /// Hand the result to everyone waiting for it.
    pub(crate) fn finish(self, r: &Resolution) {
        self.tx.send_replace(Some(r.clone()));
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        lock(&self.flight.running).remove(&self.key);
    }
}

/// The result of the resolution `rx` follows; `None` when its leader was
/// cancelled before it finished.
pub(crate) async fn outcome(mut rx: watch::Receiver<Option<Resolution>>) -> Option<Resolution> {
    rx.wait_for(Option::is_some).await.ok().and_then(|r| r.clone())
}
