//! Slots: a fixed number in all, and a share per client address. TCP
//! connections hold one each; so does every client question being
//! resolved. A client past its share, or anyone when none are left, gets
//! nothing (and the refusal is counted): it must not queue.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::sync::lock;

/// Which limit a refused request met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Full {
    /// None left in all.
    Total,
    /// The client holds its share.
    Client,
}

/// The slots.
pub(crate) struct Slots {
    total: Arc<Semaphore>,
    per_client: usize,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
    refused: AtomicU64,
}

/// A slot held; dropping it frees the slot.
pub(crate) struct Slot {
    _total: OwnedSemaphorePermit,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
    client: IpAddr,
}

impl Slots {
    /// `total` slots, at most `per_client` for one client address.
    pub(crate) fn new(total: usize, per_client: usize) -> Slots {
        Slots { total: Arc::new(Semaphore::new(total)), per_client, held: Arc::default(), refused: AtomicU64::new(0) }
    }

    /// A slot for `client`, or the limit it met (counted).
    pub(crate) fn take(&self, client: IpAddr) -> Result<Slot, Full> {
        let refuse = |full| {
            self.refused.fetch_add(1, Ordering::Relaxed);
            Err(full)
        };
        let Ok(total) = Arc::clone(&self.total).try_acquire_owned() else { return refuse(Full::Total) };
        let mut m = lock(&self.held);
        let held = m.entry(client).or_insert(0);
        if *held >= self.per_client {
            drop(m);
            return refuse(Full::Client);
        }
        *held += 1;
        Ok(Slot { _total: total, held: Arc::clone(&self.held), client })
    }

    /// Requests refused since start.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut m = lock(&self.held);
        if let Some(held) = m.get_mut(&self.client) {
            *held -= 1;
            if *held == 0 {
                m.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holds_its_share_of_the_slots_and_no_more() {
        let slots = Slots::new(20, 16);
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        let held: Vec<Slot> = (0..16).map(|_| slots.take(a).unwrap()).collect();
        assert_eq!(slots.take(a).err(), Some(Full::Client), "past the client's share");
        let others: Vec<Slot> = (0..4).map(|_| slots.take(b).unwrap()).collect();
        assert_eq!(slots.take(b).err(), Some(Full::Total), "past the total");
        assert_eq!(slots.refused(), 2);
        drop(held);
        assert!(slots.take(a).is_ok(), "a slot given back is free again");
        drop(others);
    }
}
