//! RFC 5011 for the root: the state file read at start of a chain, and a
//! validated root DNSKEY RRset fed to it.

use candor_anchor::{Rfc5011, StateError};
use candor_wire::{Message, Name, RData, RType, Record};

use crate::clock::Clock;
use crate::resolver::Resolver;
use crate::sync::lock;
use crate::transport::Transport;
use crate::validator::verify::rrsigs_for;

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// The RFC 5011 state, when one is kept and readable: `Ok(None)` when
    /// there is none yet (a first run). A state that does not load, or
    /// that tracks keys none of which the configured root anchor vouches
    /// for (another anchor's state: a lab's, say), is refused loudly and
    /// left as it is: `Err`, so it is neither trusted nor overwritten.
    pub(crate) fn rfc5011_state(&self) -> Result<Option<Rfc5011>, ()> {
        let mut kept = lock(&self.anchor_state);
        if let Some(st) = kept.as_ref() {
            return st.clone();
        }
        let st = self.load_rfc5011_state();
        *kept = Some(st.clone());
        st
    }

    /// [`Self::rfc5011_state`] from the file.
    fn load_rfc5011_state(&self) -> Result<Option<Rfc5011>, ()> {
        let Some(path) = self.cfg.anchor_state.as_ref() else { return Ok(None) };
        let st = match Rfc5011::load(path) {
            Ok(s) => s,
            Err(StateError::Io { kind: std::io::ErrorKind::NotFound, .. }) => return Ok(None),
            // A file that does not parse is moved aside (its history kept
            // for the operator) and tracking starts afresh from the
            // configured anchor; reported, never silently reset.
            Err(e @ StateError::Syntax { .. }) => {
                let aside = path.with_file_name(format!(
                    "{}.corrupt-{}",
                    path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
                    self.clock.unix()
                ));
                return match std::fs::rename(path, &aside) {
                    Ok(()) => {
                        tracing::error!(
                            "RFC 5011 state {} is corrupt ({e}): moved aside to {}; tracking starts afresh from the configured anchor",
                            path.display(),
                            aside.display()
                        );
                        Ok(None)
                    }
                    Err(io) => {
                        tracing::error!("RFC 5011 state {} refused: {e}; cannot move it aside: {io}", path.display());
                        Err(())
                    }
                };
            }
            Err(e) => {
                tracing::error!("RFC 5011 state {} refused: {e}; move it aside to start afresh", path.display());
                return Err(());
            }
        };
        let root = Name::root();
        let vouched = |k: &candor_wire::Dnskey| {
            self.cfg.anchors.get(&root).is_some_and(|a| {
                a.keys.iter().any(|x| x.algorithm == k.algorithm && x.public_key == k.public_key)
                    || a.ds.iter().any(|d| candor_crypto::ds_matches(d, &root, k) == Ok(true))
            })
        };
        if !st.keys.iter().any(|(k, _)| vouched(k)) {
            let tags: Vec<String> = st.keys.iter().map(|(k, _)| candor_crypto::key_tag(k).to_string()).collect();
            tracing::error!(
                "RFC 5011 state {} tracks root keys {} of which the configured trust anchor vouches for none: \
                 not used; point the anchor state elsewhere or move the file aside",
                path.display(),
                tags.join(", ")
            );
            return Err(());
        }
        Ok(Some(st))
    }

    /// Feed a validated root DNSKEY RRset to RFC 5011 and save the state.
    pub(crate) fn observe_root_keys(&self, path: &std::path::Path, state: Option<Rfc5011>, msg: &Message) {
        let root = Name::root();
        let now = self.clock.unix();
        let dnskeys: Vec<candor_wire::Dnskey> = msg
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Dnskey(k) if r.owner.is_root() => Some(k.clone()),
                _ => None,
            })
            .collect();
        let rrset: Vec<Record> =
            msg.answers.iter().filter(|r| r.owner.is_root() && r.rtype() == RType::DNSKEY).cloned().collect();
        let sigs = rrsigs_for(&msg.answers, &root, RType::DNSKEY);
        let policy = self.cfg.validator.policy;
        let backend = self.cfg.validator.backend;
        // RFC 5011 §2.1: a revocation counts only when the revoked key signed the RRset.
        let self_signed = |k: &candor_wire::Dnskey| {
            let Ok(public) = candor_crypto::PublicKey::from_dnskey(k, policy) else { return false };
            let tag = candor_crypto::key_tag(k);
            sigs.iter().any(|s| {
                s.key_tag == tag && candor_crypto::verify_rrsig(&rrset, s, &root, k, &public, now, backend).is_ok()
            })
        };
        let mut st = state.unwrap_or_else(|| {
            // First run: the keys the configured anchors vouch for are Valid.
            let vouched: Vec<candor_wire::Dnskey> = dnskeys
                .iter()
                .filter(|k| {
                    self.cfg.anchors.get(&root).is_some_and(|a| {
                        a.keys.contains(k) || a.ds.iter().any(|d| candor_crypto::ds_matches(d, &root, k) == Ok(true))
                    })
                })
                .cloned()
                .collect();
            Rfc5011::new(root.clone(), &vouched)
        });
        st.observe(&dnskeys, &self_signed, now);
        // Written off the runtime's threads (an fsync may take long); a
        // write that finds a newer state already written is skipped.
        let seq = self.anchor_writes.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let (written, state, path) = (std::sync::Arc::clone(&self.anchor_writes.1), st.clone(), path.to_path_buf());
        let save = move || {
            let mut last = lock(&written);
            if seq <= *last {
                return;
            }
            match state.save(&path) {
                Ok(()) => *last = seq,
                Err(e) => tracing::error!("cannot save the RFC 5011 state: {e}"),
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(save)),
            Err(_) => save(),
        }
        *lock(&self.anchor_state) = Some(Ok(Some(st)));
    }
}
