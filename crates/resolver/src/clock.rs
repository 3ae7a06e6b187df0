//! The one injectable clock: wall time for signature windows, monotonic
//! time for TTLs and timeouts. Nothing else in the resolver reads the
//! system clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Wall and monotonic time.
pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch (signature validity).
    fn unix(&self) -> u64;
    /// Time since an arbitrary fixed start (TTLs, timeouts); never goes back.
    fn monotonic(&self) -> Duration;
}

/// The system's clocks.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    start: Instant,
}

impl SystemClock {
    /// A system clock whose monotonic time starts now.
    pub fn new() -> SystemClock {
        SystemClock { start: Instant::now() }
    }
}

impl Default for SystemClock {
    fn default() -> SystemClock {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn unix(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }

    fn monotonic(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A clock that moves only when told: replay scenarios, lab tests and
/// `--now` post-mortems. Clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    unix: Arc<AtomicU64>,
    mono_ms: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at `unix` seconds.
    pub fn at(unix: u64) -> ManualClock {
        let c = ManualClock::default();
        c.unix.store(unix, Ordering::SeqCst);
        c
    }

    /// Move both clocks forward.
    pub fn advance(&self, by: Duration) {
        self.unix.fetch_add(by.as_secs(), Ordering::SeqCst);
        self.mono_ms.fetch_add(u64::try_from(by.as_millis()).unwrap_or(u64::MAX), Ordering::SeqCst);
    }

    /// Set the wall clock (the monotonic one does not go back).
    pub fn set_unix(&self, unix: u64) {
        self.unix.store(unix, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn unix(&self) -> u64 {
        self.unix.load(Ordering::SeqCst)
    }

    fn monotonic(&self) -> Duration {
        Duration::from_millis(self.mono_ms.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_when_told_and_clones_share_it() {
        let c = ManualClock::at(1000);
        let d = c.clone();
        c.advance(Duration::from_millis(2500));
        assert_eq!((d.unix(), d.monotonic()), (1002, Duration::from_millis(2500)));
        d.set_unix(5);
        assert_eq!((c.unix(), c.monotonic()), (5, Duration::from_millis(2500)));
        let s = SystemClock::new();
        assert!(s.unix() > 1_700_000_000);
    }
}
