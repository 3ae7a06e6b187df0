//! Why a saved cache was not written or not read.

use std::path::PathBuf;

/// A file larger than this is not read.
pub const MAX_FILE: u64 = 1 << 30;

/// The format version this candor writes and reads.
pub(crate) const VERSION: u16 = 1;

/// Why a saved cache was not written or not read.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// There is no saved cache (a first start).
    #[error("no saved cache at {0}")]
    Missing(PathBuf),
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A file that must be candor's alone is not.
    #[error("{path}: {why}; it must be a regular file owned by the user candor runs as, mode 0600")]
    Unsafe {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// The file is larger than [`MAX_FILE`].
    #[error("{0} octets: larger than a saved cache can be")]
    TooLarge(u64),
    /// Not a saved cache at all.
    #[error("not a candor cache file")]
    NotACacheFile,
    /// A format this version does not read.
    #[error("format version {0}, this candor reads version {VERSION}")]
    Version(u16),
    /// Shorter than its own structure says.
    #[error("truncated")]
    Truncated,
    /// The authentication tag does not match: changed after it was
    /// written, or written with another key.
    #[error("its authentication tag does not match (changed since it was written, or another key made it)")]
    Tampered,
    /// Made under other trust anchors, root hints or NTAs.
    #[error("made under other trust anchors, root hints or NTAs (a lab run's, or before a configuration change)")]
    Foreign,
    /// Written at a time the local clock has not reached.
    #[error("written at {written} (unix), after the local clock's {now}: the clock is behind")]
    ClockBehind {
        /// When it was written.
        written: u64,
        /// The local clock.
        now: u64,
    },
    /// Authenticated, yet not what this version writes.
    #[error("malformed entry: {0}")]
    Malformed(String),
}
