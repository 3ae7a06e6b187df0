//! A cache that survives restarts: the answers, RRsets and zone cuts
//! (with their trusted keys) written to a state file, and read back at
//! start-up with their lifetimes aged by the downtime.
//!
//! The file is hostile until proven otherwise. It is authenticated as a
//! whole (HMAC-SHA-256 with a key of its own, `cache.key` beside it, made
//! at the first save, mode 0600); both must be regular files owned by the
//! user candor runs as, with no access for group or others. It is bound to
//! the trust anchors, root hints and configured NTAs it was made under (a
//! digest of them in the header): a lab run's file is refused by a
//! production start. Even then nothing secure is taken on trust: the chain
//! is rebuilt from the current anchors through the saved DS and DNSKEY
//! RRsets and every signed RRset is verified again at the current time
//! ([`check`]); what fails is left out. A corrupt, foreign or old-format
//! file is refused as a whole with a [`PersistError`] saying why.
//!
//! Not saved: failures and bogus data, informational insecure verdicts
//! (NTAs, unsupported algorithms), entries under a run-time NTA, expired
//! entries kept only to be served stale, signature verdicts, glue,
//! server statistics, RFC 8198's NSEC store (rebuilt from the answers).

mod check;
mod error;
pub(crate) mod format;

pub use error::PersistError;

use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use candor_wire::{Name, RData};
use ring::hmac;

use crate::cache::saved::{SavedAnswer, age, age_resolution};
use crate::clock::Clock;
use crate::iterator::cuts::Cut;
use crate::persist::format::{Contents, SavedCut, TAG_LEN, Writer};
use crate::resolver::Resolver;
use crate::security::Security;
use crate::sync::lock;
use crate::transport::Transport;
use crate::validator::verify::Trust;

pub use error::MAX_FILE;

/// What a save wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    /// Answers written.
    pub answers: usize,
    /// RRsets written.
    pub rrsets: usize,
    /// Zone cuts written.
    pub cuts: usize,
    /// Size of the file.
    pub bytes: usize,
}

/// What a load put back.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Restored {
    /// Answers put back.
    pub answers: usize,
    /// RRsets put back.
    pub rrsets: usize,
    /// Zone cuts put back.
    pub cuts: usize,
    /// Entries whose lifetime ran out while candor was down.
    pub expired: usize,
    /// Secure entries left out because they did not verify again (an
    /// expired signature, a chain no longer reaching the anchors).
    pub unverified: usize,
    /// Entries left out because the question had been answered anew
    /// (queries are served while the saved cache is read back).
    pub newer: usize,
    /// Seconds between the save and the load.
    pub downtime: u64,
}

/// The key file of a cache file: `cache.key` beside it.
pub fn key_path(state: &Path) -> PathBuf {
    state.with_extension("key")
}

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// Write the caches to `path` (atomically: a new file renamed over
    /// the old), authenticated with the key beside it (made when absent).
    pub fn save_cache(&self, path: &Path) -> Result<Saved, PersistError> {
        let key = load_key(&key_path(path), true)?;
        let (now, unix) = (self.clock.monotonic(), self.clock.unix());
        let ntas = lock(&self.ntas).clone();
        let under_nta = |n: &Name| ntas.negative_for(n, unix).is_some();
        let mut w = Writer::new(&self.binding(), unix);
        let mut saved = Saved::default();
        self.cache.saved_answers(now, |shard| {
            for a in shard.iter().filter(|a| !under_nta(&a.qname)) {
                saved.answers += usize::from(w.answer(a));
            }
        });
        for r in self.cache.saved_rrsets(now) {
            if r.records.first().is_some_and(|x| !under_nta(&x.owner)) {
                saved.rrsets += usize::from(w.rrset(&r));
            }
        }
        for (cut, left) in self.cuts.saved(now) {
            if under_nta(&cut.zone) {
                continue;
            }
            let keys = match &cut.trust {
                Trust::Secure(k) => Some(k.dnskey_rrset(u32::try_from(left.as_secs()).unwrap_or(u32::MAX))),
                _ => None,
            };
            let saved_cut = SavedCut { zone: cut.zone, servers: cut.servers, pending: cut.pending, keys, left };
            saved.cuts += usize::from(w.cut(&saved_cut));
        }
        let mut file = w.finish();
        let tag = hmac::sign(&key, &file);
        file.extend_from_slice(tag.as_ref());
        saved.bytes = file.len();
        write_private(path, &file)?;
        Ok(saved)
    }

    /// Read the caches back from `path`: refused as a whole when the file
    /// is not candor's own, not authentic, foreign or of another format;
    /// otherwise every entry aged by the downtime and every secure one
    /// verified again before it is put back.
    pub fn restore_cache(&self, path: &Path) -> Result<Restored, PersistError> {
        let file = match read_private(path, MAX_FILE) {
            Err(PersistError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Err(PersistError::Missing(path.into()));
            }
            f => f?,
        };
        format::check_version(&file)?;
        let key = load_key(&key_path(path), false)?;
        let split = file.len().checked_sub(TAG_LEN).ok_or(PersistError::Truncated)?;
        let (body, tag) = file.split_at(split);
        hmac::verify(&key, body, tag).map_err(|_| PersistError::Tampered)?;
        let contents = format::parse(body)?;
        if contents.binding != self.binding() {
            return Err(PersistError::Foreign);
        }
        let (now, unix) = (self.clock.monotonic(), self.clock.unix());
        if contents.written_at > unix.saturating_add(60) {
            return Err(PersistError::ClockBehind { written: contents.written_at, now: unix });
        }
        let downtime = unix.saturating_sub(contents.written_at);
        Ok(self.put_back(contents, downtime, now, unix))
    }

    fn put_back(&self, mut c: Contents, downtime: u64, now: Duration, unix: u64) -> Restored {
        let mut out = Restored { downtime, ..Restored::default() };
        let gone = Duration::from_secs(downtime);
        let aged = downtime.min(u64::from(u32::MAX)) as u32;
        let trusted = self.trusted_again(&c, unix);
        for cut in std::mem::take(&mut c.cuts) {
            let Some(left) = still_left(cut.left, gone) else {
                out.expired += 1;
                continue;
            };
            let trust = match &cut.keys {
                None => Trust::Insecure(None),
                Some(_) => match trusted.get(&cut.zone.to_lowercase()) {
                    Some(k) => Trust::Secure(k.clone()),
                    None => {
                        out.unverified += 1;
                        continue;
                    }
                },
            };
            if self.cuts.holds(&cut.zone, now) {
                out.newer += 1;
                continue;
            }
            let cut = Cut { zone: cut.zone, servers: cut.servers, trust, pending: cut.pending };
            self.cuts.put(&cut, left, now);
            out.cuts += 1;
        }
        for mut r in std::mem::take(&mut c.rrsets) {
            let Some(left) = still_left(r.left, gone) else {
                out.expired += 1;
                continue;
            };
            age(&mut r.records, aged);
            r.left = left;
            if r.security == Security::Secure {
                match self.checked_again(&r.records, &trusted, unix, true) {
                    Some(_) => {}
                    None => {
                        out.unverified += 1;
                        continue;
                    }
                }
            }
            out.rrsets += usize::from(self.cache.restore_rrset(&r, now, unix));
        }
        // The answers' signatures are most of the work: verified on every
        // core, each thread with its share.
        let mut answers = std::mem::take(&mut c.answers);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
        let per = answers.len().div_ceil(threads).max(1);
        let trusted = &trusted;
        let shares: Vec<Restored> = std::thread::scope(|s| {
            let handles: Vec<_> = answers
                .chunks_mut(per)
                .map(|share| s.spawn(move || self.put_back_answers(share, (gone, aged), trusted, now, unix)))
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        for r in shares {
            out.answers += r.answers;
            out.expired += r.expired;
            out.unverified += r.unverified;
            out.newer += r.newer;
        }
        out
    }

    /// [`Self::put_back`] for a share of the answers.
    fn put_back_answers(
        &self,
        share: &mut [SavedAnswer],
        (gone, aged): (Duration, u32),
        trusted: &check::Trusted,
        now: Duration,
        unix: u64,
    ) -> Restored {
        let mut out = Restored::default();
        for a in share {
            let Some(left) = still_left(a.left, gone) else {
                out.expired += 1;
                continue;
            };
            a.left = left;
            // Resolved anew since start-up: the newer answer stays.
            if self.cache.holds(&a.qname, a.qtype, now) {
                out.newer += 1;
                continue;
            }
            let r = &mut a.resolution;
            age_resolution(r, aged);
            if r.security == Security::Secure {
                let answers = self.checked_again(&r.answers, trusted, unix, true);
                let authority = self.checked_again(&r.authority, trusted, unix, false);
                match (answers, authority) {
                    (Some(_), Some(authority)) => r.authority = authority,
                    _ => {
                        out.unverified += 1;
                        continue;
                    }
                }
            }
            out.answers += usize::from(self.cache.restore_answer(a, now, unix));
        }
        out
    }

    /// A digest of what the saved data's trust rests on: the trust
    /// anchors, the root hints (addresses and port) and the configured
    /// NTAs.
    pub(crate) fn binding(&self) -> [u8; 32] {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(format::MAGIC);
        ctx.update(&error::VERSION.to_be_bytes());
        let anchors = &self.cfg.anchors;
        for zone in anchors.zones() {
            ctx.update(b"anchor");
            ctx.update(zone.to_lowercase().as_wire());
            if let Some(a) = anchors.get(zone) {
                for d in &a.ds {
                    ctx.update(&RData::Ds(d.clone()).to_wire());
                }
                for k in &a.keys {
                    ctx.update(&RData::Dnskey(k.clone()).to_wire());
                }
            }
        }
        for n in anchors.negatives() {
            ctx.update(b"nta");
            ctx.update(n.zone.to_lowercase().as_wire());
            ctx.update(&n.expires.to_be_bytes());
        }
        ctx.update(b"hints");
        for ip in &self.cfg.roots {
            ctx.update(ip.to_string().as_bytes());
            ctx.update(b",");
        }
        ctx.update(&self.cfg.port.to_be_bytes());
        let mut out = [0; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }
}

/// Is `meta` (of `path`) a regular file of ours that no one else may read?
fn private(path: &Path, meta: &std::fs::Metadata) -> Result<(), PersistError> {
    let unsafe_file = |why: String| Err(PersistError::Unsafe { path: path.into(), why });
    if !meta.file_type().is_file() {
        return unsafe_file("not a regular file".into());
    }
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me {
        return unsafe_file(format!("owned by UID {}, not {me}", meta.uid()));
    }
    if meta.mode() & 0o077 != 0 {
        return unsafe_file(format!("mode {:o}", meta.mode() & 0o777));
    }
    Ok(())
}

/// What an entry that had `left` when saved has left after `gone`
/// (`None`: it ran out meanwhile).
fn still_left(left: Duration, gone: Duration) -> Option<Duration> {
    left.checked_sub(gone).filter(|l| !l.is_zero())
}

/// The contents of `path`, opened without following a symbolic link and
/// checked on the open file (no window between the check and the read):
/// a regular file of ours that no one else may read, at most `max` octets.
fn read_private(path: &Path, max: u64) -> Result<Vec<u8>, PersistError> {
    use std::io::Read;
    let io = |source| PersistError::Io { path: path.into(), source };
    // Not through a symbolic link; and a FIFO put there must not block the
    // open (it is refused as no regular file right after).
    let flags = (nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK).bits();
    let mut f = match std::fs::OpenOptions::new().read(true).custom_flags(flags).open(path) {
        // ELOOP: the last component is a symbolic link.
        Err(e) if e.raw_os_error() == Some(nix::errno::Errno::ELOOP as i32) => {
            return Err(PersistError::Unsafe { path: path.into(), why: "a symbolic link".into() });
        }
        f => f.map_err(io)?,
    };
    let meta = f.metadata().map_err(io)?;
    private(path, &meta)?;
    if meta.len() > max {
        return Err(PersistError::TooLarge(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    Read::take(&mut f, max).read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// The key in `path` (checked like the cache file); made when absent and
/// `make` (32 random octets, mode 0600).
fn load_key(path: &Path, make: bool) -> Result<hmac::Key, PersistError> {
    let io = |source| PersistError::Io { path: path.into(), source };
    let bytes = match read_private(path, 32) {
        Err(PersistError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound && make => {
            let mut bytes = [0u8; 32];
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
                .map_err(|_| io(std::io::Error::other("no randomness for a key")))?;
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io)?;
            f.write_all(&bytes).and_then(|()| f.sync_all()).map_err(io)?;
            return Ok(hmac::Key::new(hmac::HMAC_SHA256, &bytes));
        }
        Err(PersistError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            let why = "the key that authenticates it is gone".into();
            return Err(PersistError::Unsafe { path: path.into(), why });
        }
        Err(PersistError::TooLarge(n)) => {
            return Err(PersistError::Unsafe { path: path.into(), why: format!("a key of {n} octets, not 32") });
        }
        b => b?,
    };
    if bytes.len() != 32 {
        let why = format!("a key of {} octets, not 32", bytes.len());
        return Err(PersistError::Unsafe { path: path.into(), why });
    }
    Ok(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
}

/// Write `bytes` to `path` through a new private file renamed over it.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), PersistError> {
    let tmp = path.with_extension("tmp");
    let io = |source| PersistError::Io { path: tmp.clone(), source };
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp).map_err(io)?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|source| PersistError::Io { path: path.into(), source })
}
