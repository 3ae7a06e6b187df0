//! The commit step: what a resolution proved along the way (verified
//! RRsets met outside answers, denial records, wildcard expansions,
//! negative answers carried by other zones' responses) is written to the
//! caches here, in one place, after each link of the resolution is
//! validated. Validation functions only note it ([`Learned`]).

use crate::clock::Clock;
use crate::resolver::Resolver;
use crate::security::Security;
use crate::transport::Transport;
use crate::work::{Learned, Work};

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// Write what `work` learned to the caches.
    pub(crate) fn commit(&self, work: &mut Work) {
        if work.learned.is_empty() {
            return;
        }
        let (now, unix) = (self.clock.monotonic(), self.clock.unix());
        for learned in work.learned.drain(..) {
            match learned {
                Learned::Rrset(records) => {
                    self.cache.keep_rrset(&records, Security::Secure, now, unix);
                }
                Learned::NoDsProof { zone, section } => self.cache.learn_nsecs(&zone, &section, now, unix),
                Learned::Proofs { zone, records } => self.cache.learn_proofs(&zone, records, now, unix),
                Learned::Wildcard { zone, answers, authority } => {
                    self.cache.learn_wildcard(&zone, &answers, &authority, now, unix);
                }
                Learned::Negative { name, qtype, resolution } => self.cache.put(&name, qtype, &resolution, now, unix),
            }
        }
    }
}
