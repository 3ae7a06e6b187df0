//! A mutex lock that survives a poisoned mutex (a panicking holder must not
//! take the server down with it): the one the server's maps share.

pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
