//! RFC 5011 automated updates of trust anchors: each SEP key seen in a
//! validated DNSKEY RRset goes through AddPend (the add hold-down), Valid,
//! Missing, Revoked and Removed, and the state survives restarts in a file
//! written atomically (temp file, fsync, rename, fsync of the directory),
//! so a crash never loses or corrupts it.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use candor_wire::text::{base64_decode, base64_encode};
use candor_wire::{Algorithm, Dnskey, Name};

/// RFC 5011 §2.4.1: the add hold-down is 30 days (or the TTL, if longer).
pub const ADD_HOLD_DOWN: u64 = 30 * 86_400;
/// RFC 5011 §2.4.2: a revoked key is removed 30 days after revocation.
pub const REMOVE_HOLD_DOWN: u64 = 30 * 86_400;

/// A key's place in the RFC 5011 state machine (§4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// New key, waiting out the add hold-down since this time.
    AddPend {
        /// When it was first seen.
        since: u64,
    },
    /// Trusted.
    Valid,
    /// Trusted, but absent from the last RRset seen.
    Missing,
    /// Revoked at this time; removed after the remove hold-down.
    Revoked {
        /// When the revocation was seen.
        since: u64,
    },
}

/// The trust-anchor state of one zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rfc5011 {
    /// The zone.
    pub zone: Name,
    /// Each key (as published without the revoke bit) and its state.
    pub keys: Vec<(Dnskey, KeyState)>,
}

/// Why a state file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Reading or writing failed.
    #[error("{}: {kind}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        kind: std::io::ErrorKind,
    },
    /// A line of the file is not understood.
    #[error("{}:{line}: {what}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// What is wrong.
        what: &'static str,
    },
}

/// The key with its revoke bit cleared: how a key is known across revocation.
fn unrevoked(k: &Dnskey) -> Dnskey {
    Dnskey { flags: k.flags & !Dnskey::REVOKE, ..k.clone() }
}

impl Rfc5011 {
    /// Start from the keys trusted now (configured anchors are Valid).
    pub fn new(zone: Name, trusted: &[Dnskey]) -> Rfc5011 {
        Rfc5011 { zone, keys: trusted.iter().map(|k| (unrevoked(k), KeyState::Valid)).collect() }
    }

    /// The keys to trust: Valid and Missing ones.
    pub fn trusted(&self) -> Vec<Dnskey> {
        self.keys
            .iter()
            .filter(|(_, s)| matches!(s, KeyState::Valid | KeyState::Missing))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The state of a key (compared without its revoke bit).
    pub fn state_of(&self, key: &Dnskey) -> Option<KeyState> {
        let k = unrevoked(key);
        self.keys.iter().find(|(x, _)| *x == k).map(|(_, s)| *s)
    }

    /// Take in a DNSKEY RRset that validated (with a trusted key) at `now`.
    /// A revoked key counts only if `self_signed_revoked` says it signed
    /// the RRset itself (RFC 5011 §2.1).
    pub fn observe(&mut self, dnskeys: &[Dnskey], self_signed_revoked: &dyn Fn(&Dnskey) -> bool, now: u64) {
        let seps: Vec<&Dnskey> = dnskeys.iter().filter(|k| k.is_sep() && k.is_zone_key()).collect();
        for k in &seps {
            let plain = unrevoked(k);
            let known = self.keys.iter_mut().find(|(x, _)| *x == plain);
            match (k.is_revoked(), known) {
                (true, Some((_, state))) => {
                    if self_signed_revoked(k) && !matches!(state, KeyState::Revoked { .. }) {
                        *state = KeyState::Revoked { since: now };
                    }
                }
                (true, None) => {}
                (false, None) => self.keys.push((plain, KeyState::AddPend { since: now })),
                (false, Some((_, state))) => {
                    *state = match *state {
                        KeyState::AddPend { since } if now.saturating_sub(since) >= ADD_HOLD_DOWN => KeyState::Valid,
                        KeyState::Missing => KeyState::Valid,
                        s => s,
                    };
                }
            }
        }
        let present: Vec<Dnskey> = seps.iter().map(|k| unrevoked(k)).collect();
        for (k, state) in &mut self.keys {
            if !present.contains(k) {
                *state = match *state {
                    KeyState::Valid => KeyState::Missing,
                    s => s,
                };
            }
        }
        // AddPend keys that vanish are forgotten; revoked keys go after the hold-down.
        self.keys.retain(|(k, s)| match s {
            KeyState::AddPend { .. } => present.contains(k),
            KeyState::Revoked { since } => now.saturating_sub(*since) < REMOVE_HOLD_DOWN,
            _ => true,
        });
    }

    /// Write the state to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let io = |e: std::io::Error| StateError::Io { path: path.to_path_buf(), kind: e.kind() };
        let mut text = format!("; candor RFC 5011 trust-anchor state\nzone {}\n", self.zone);
        for (k, s) in &self.keys {
            let (state, since) = match s {
                KeyState::AddPend { since } => ("addpend", *since),
                KeyState::Valid => ("valid", 0),
                KeyState::Missing => ("missing", 0),
                KeyState::Revoked { since } => ("revoked", *since),
            };
            text.push_str(&format!(
                "key {state} {since} {} {} {} {}\n",
                k.flags,
                k.protocol,
                k.algorithm.0,
                base64_encode(&k.public_key)
            ));
        }
        // A temporary file of this write's own: writers never share one
        // (two resolvers of one process, or two processes, saving at once).
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut name = path.file_name().map(std::ffi::OsString::from).unwrap_or_default();
        name.push(format!(".{}.{n}.tmp", std::process::id()));
        let tmp = path.with_file_name(name);
        {
            let mut f = File::create(&tmp).map_err(io)?;
            f.write_all(text.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, path).map_err(io)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        Ok(())
    }

    /// Read a state file written by [`Rfc5011::save`].
    pub fn load(path: &Path) -> Result<Rfc5011, StateError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| StateError::Io { path: path.to_path_buf(), kind: e.kind() })?;
        let syntax = |line, what| StateError::Syntax { path: path.to_path_buf(), line, what };
        let mut zone = None;
        let mut keys = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let f: Vec<&str> = line.split_whitespace().collect();
            match f.as_slice() {
                [] => {}
                [c, ..] if c.starts_with(';') => {}
                ["zone", z] => zone = Some(z.parse::<Name>().map_err(|_| syntax(n, "bad zone name"))?),
                ["key", state, since, flags, proto, alg, key] => {
                    let since: u64 = since.parse().map_err(|_| syntax(n, "bad time"))?;
                    let state = match *state {
                        "addpend" => KeyState::AddPend { since },
                        "valid" => KeyState::Valid,
                        "missing" => KeyState::Missing,
                        "revoked" => KeyState::Revoked { since },
                        _ => return Err(syntax(n, "unknown state")),
                    };
                    let key = Dnskey {
                        flags: flags.parse().map_err(|_| syntax(n, "bad flags"))?,
                        protocol: proto.parse().map_err(|_| syntax(n, "bad protocol"))?,
                        algorithm: Algorithm(alg.parse().map_err(|_| syntax(n, "bad algorithm"))?),
                        public_key: base64_decode(key).ok_or_else(|| syntax(n, "bad base64 key"))?,
                    };
                    keys.push((key, state));
                }
                _ => return Err(syntax(n, "expected `zone NAME` or `key STATE SINCE FLAGS PROTOCOL ALG KEY`")),
            }
        }
        let zone = zone.ok_or_else(|| syntax(1, "no `zone` line"))?;
        Ok(Rfc5011 { zone, keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Dnskey {
        Dnskey { flags: 257, protocol: 3, algorithm: Algorithm(8), public_key: vec![3, 1, 0, 1, b, b, b] }
    }

    #[test]
    fn a_key_walks_from_addpend_to_valid_and_from_revoked_to_removed_across_restarts() {
        let dir = std::env::temp_dir().join(format!("candor-5011-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("root.state");
        let (old, new) = (key(1), key(2));
        let yes = |_: &Dnskey| true;
        let day = 86_400;
        let t0 = 1_700_000_000;
        let mut s = Rfc5011::new(Name::root(), std::slice::from_ref(&old));
        s.save(&path).unwrap();

        // Each step: restart from the file, observe, save.
        let step = |keys: &[Dnskey], now: u64| {
            let mut s = Rfc5011::load(&path).unwrap();
            s.observe(keys, &yes, now);
            s.save(&path).unwrap();
            s
        };
        s = step(&[old.clone(), new.clone()], t0);
        assert_eq!(s.state_of(&new), Some(KeyState::AddPend { since: t0 }));
        assert_eq!(s.trusted(), vec![old.clone()], "not trusted during the hold-down");
        s = step(&[old.clone(), new.clone()], t0 + 29 * day);
        assert_eq!(s.state_of(&new), Some(KeyState::AddPend { since: t0 }));
        s = step(&[old.clone(), new.clone()], t0 + 30 * day);
        assert_eq!(s.state_of(&new), Some(KeyState::Valid));
        assert_eq!(s.trusted().len(), 2);

        // The old key is revoked (self-signed), then removed 30 days later.
        let mut revoked = old.clone();
        revoked.flags |= Dnskey::REVOKE;
        s = step(&[revoked.clone(), new.clone()], t0 + 40 * day);
        assert_eq!(s.state_of(&old), Some(KeyState::Revoked { since: t0 + 40 * day }));
        assert_eq!(s.trusted(), vec![new.clone()]);
        s = step(std::slice::from_ref(&new), t0 + 69 * day);
        assert!(s.state_of(&old).is_some());
        s = step(std::slice::from_ref(&new), t0 + 70 * day);
        assert_eq!(s.state_of(&old), None, "removed after the remove hold-down");
        assert_eq!(s.trusted(), vec![new.clone()]);

        // A revocation that the revoked key did not sign itself is ignored.
        let mut s2 = Rfc5011::new(Name::root(), std::slice::from_ref(&new));
        let mut rev_new = new.clone();
        rev_new.flags |= Dnskey::REVOKE;
        s2.observe(&[rev_new], &|_| false, t0);
        assert_eq!(s2.state_of(&new), Some(KeyState::Valid));

        // A damaged file is a clear error naming the line; no leftover temp file.
        std::fs::write(&path, "zone .\nkey sideways 0 257 3 8 AAAA\n").unwrap();
        let err = Rfc5011::load(&path).unwrap_err().to_string();
        assert!(err.ends_with(":2: unknown state"), "{err}");
        assert!(!path.with_extension("tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn writers_at_once_never_leave_a_torn_or_foreign_file() {
        let dir = std::env::temp_dir().join(format!("candor-5011-race-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("root.state");
        let writers: Vec<_> = (1..=4u8)
            .map(|b| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        Rfc5011::new(Name::root(), &[key(b)]).save(&path).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        // Whole, one writer's, and no temporary file left behind.
        let s = Rfc5011::load(&path).unwrap();
        assert_eq!(s.keys.len(), 1);
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, [std::ffi::OsString::from("root.state")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
