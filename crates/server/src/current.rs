//! The resolver in service, swapped whole on a reload.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use candor_resolver::{Clock, Resolver, Transport};

/// The resolver in service; replaced whole when the configuration is
/// reloaded (SIGHUP), while queries in flight finish on the old one.
pub struct Current<T: Transport, C: Clock>(std::sync::RwLock<Arc<Resolver<T, C>>>, AtomicU64);

impl<T: Transport, C: Clock> Current<T, C> {
    /// Serve with `r`.
    pub fn new(r: Resolver<T, C>) -> Arc<Current<T, C>> {
        Arc::new(Current(std::sync::RwLock::new(Arc::new(r)), AtomicU64::new(0)))
    }

    /// The resolver to use now.
    pub fn get(&self) -> Arc<Resolver<T, C>> {
        match self.0.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// Put `r` in service.
    pub fn set(&self, r: Resolver<T, C>) {
        match self.0.write() {
            Ok(mut g) => *g = Arc::new(r),
            Err(p) => *p.into_inner() = Arc::new(r),
        }
        self.1.fetch_add(1, Ordering::Release);
    }

    /// Changes with every [`Current::set`]: a worker keeps the resolver it
    /// got and asks for it again only when this moved (a load of a value
    /// nobody writes between reloads: nothing contended per query).
    pub fn version(&self) -> u64 {
        self.1.load(Ordering::Acquire)
    }
}
