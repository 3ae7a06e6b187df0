//! A reload (SIGHUP): the resolver built from the new configuration takes
//! over what its predecessor learnt ([`Resolver::take_over`]): the caches
//! (answers, RRsets, zone cuts with their trusted keys, glue, signature
//! verdicts, kept failures) while nothing they were validated under
//! changed, the servers' round-trip times always, and the negative trust
//! anchors: those added at run time, and the configured ones with the
//! expiry they had (a reload does not restart their timers, nor bring back
//! one the operator removed).

use std::sync::Arc;

use candor_anchor::Anchors;

use crate::clock::Clock;
use crate::config::Config;
use crate::resolver::Resolver;
use crate::sync::lock;
use crate::transport::Transport;

/// What a reload kept, and what it could not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakeOver {
    /// The caches were kept (else: why they were not).
    pub cache_kept: Result<(), &'static str>,
    /// Settings whose change takes effect only at a restart.
    pub needs_restart: Vec<&'static str>,
    /// Negative trust anchors in force after the reload.
    pub negative_anchors: usize,
}

/// Everything cached data was accepted under: when any of it changes, the
/// caches go (a new anchor, other hints, another validation policy, other
/// forwarders or stubs, other glue rules or locally served zones).
fn accepted_under(c: &Config) -> String {
    let anchors: Vec<String> = c.anchors.zones().map(|z| format!("{z}: {:?}", c.anchors.get(z))).collect();
    format!(
        "{:?}|{}|{anchors:?}|{:?}|{:?}|{:?}|{}|{:?}|{:?}|{:?}|{}|{}|{}|{}",
        c.roots,
        c.port,
        c.validator,
        c.denial,
        c.outbound,
        c.local_zones,
        c.local_zones_off,
        c.forwards,
        c.stubs,
        c.harden_glue,
        c.harden_unverified_glue,
        c.minimal_responses,
        c.hash_budget,
    )
}

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// This (freshly built) resolver, taking over from `old`: see the
    /// module's documentation. The report says what was kept.
    pub fn take_over(mut self, old: &Resolver<T, C>) -> (Resolver<T, C>, TakeOver) {
        let mut report = TakeOver { cache_kept: Ok(()), needs_restart: Vec::new(), negative_anchors: 0 };
        self.stats = Arc::clone(&old.stats);
        self.counters = Arc::clone(&old.counters);
        self.expiring = Arc::clone(&old.expiring);
        self.cookies = Arc::clone(&old.cookies);
        if accepted_under(&self.cfg) == accepted_under(&old.cfg) {
            self.cache = Arc::clone(&old.cache);
            self.cuts = Arc::clone(&old.cuts);
            self.glue = Arc::clone(&old.glue);
            self.verdicts = Arc::clone(&old.verdicts);
            self.failures = Arc::clone(&old.failures);
            // The caches keep the limits they were made with.
            if self.cfg.cache != old.cfg.cache {
                report.needs_restart.push("cache-memory, cache-size, aggressive-nsec and the cache's TTL limits");
                self.cfg.cache = old.cfg.cache;
            }
        } else {
            report.cache_kept = Err(
                "the trust anchors, root hints, validation policy, forward or stub zones, glue rules or locally served zones changed",
            );
        }
        let before = lock(&old.ntas).clone();
        let ntas = carried_ntas(&self.cfg.anchors, &old.cfg.anchors, &before);
        report.negative_anchors = ntas.negatives().len();
        // What was cached under a zone whose anchor came or went was
        // validated the other way: it goes (as `nta add` flushes).
        let listed = |set: &Anchors, z: &candor_wire::Name| set.negatives().iter().any(|n| n.zone == *z);
        let changed: Vec<candor_wire::Name> = ntas
            .negatives()
            .iter()
            .filter(|n| !listed(&before, &n.zone))
            .chain(before.negatives().iter().filter(|n| !listed(&ntas, &n.zone)))
            .map(|n| n.zone.clone())
            .collect();
        *lock(&self.ntas) = ntas;
        for zone in &changed {
            self.flush(zone);
        }
        // Copies of answers made under the old anchors are stale.
        self.cache.invalidate_copies();
        (self, report)
    }
}

/// The negative anchors after a reload: each one the new configuration
/// lists as the old one did, as it stands now (its expiry kept; gone if it
/// expired or was removed); each newly configured one from now; and those
/// added at run time.
fn carried_ntas(configured: &Anchors, was_configured: &Anchors, running: &Anchors) -> Anchors {
    let listed = |set: &Anchors, zone: &candor_wire::Name| set.negatives().iter().any(|n| n.zone == *zone);
    let mut out = Anchors::empty();
    for n in configured.negatives() {
        if !listed(was_configured, &n.zone) {
            out.add_negative(n.zone.clone(), n.expires);
        } else if let Some(live) = running.negatives().iter().find(|r| r.zone == n.zone) {
            out.add_negative(live.zone.clone(), live.expires);
        }
    }
    for r in running.negatives() {
        if !listed(was_configured, &r.zone) && !listed(&out, &r.zone) {
            out.add_negative(r.zone.clone(), r.expires);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::security::{Resolution, Security};
    use candor_wire::{Name, RType, Rcode};

    struct Nowhere;

    impl Transport for Nowhere {
        async fn query(
            &self,
            server: std::net::SocketAddr,
            _: crate::transport::Protocol,
            _: &[u8],
            _: std::time::Duration,
        ) -> Result<Vec<u8>, crate::transport::TransportError> {
            Err(crate::transport::TransportError::Timeout(server))
        }
    }

    fn config(ntas: &[(&str, u64)]) -> Config {
        let mut anchors = Anchors::empty();
        for (z, exp) in ntas {
            anchors.add_negative(z.parse().unwrap(), *exp);
        }
        Config::new(vec!["127.0.0.1".parse().unwrap()], anchors)
    }

    /// Cache www.example./A (secure) in `r` at the clock's time.
    fn cache_www(r: &Resolver<Nowhere, ManualClock>, clock: &ManualClock) {
        let mut a = Resolution::cached(Rcode::NOERROR, Vec::new(), Security::Secure);
        a.answers = candor_wire::text::parse_zone("www.example. 300 A 192.0.2.1\n", None).unwrap();
        r.cache.put(&"www.example.".parse().unwrap(), RType::A, &a, clock.monotonic(), clock.unix());
    }

    fn cached(r: &Resolver<Nowhere, ManualClock>) -> bool {
        r.answer_now(&"www.example.".parse::<Name>().unwrap(), RType::A).is_some()
    }

    #[test]
    fn the_cache_and_the_anchors_survive_a_reload_that_changes_neither() {
        let clock = ManualClock::at(1_800_000_000);
        let old = Resolver::new(config(&[("cfg.test.", 1_800_003_600)]), Nowhere, clock.clone());
        cache_www(&old, &clock);
        old.add_negative_anchor("runtime.test.".parse().unwrap(), 600);
        assert!(cached(&old));
        // An hour later the configured anchor would restart its timer if
        // taken from the file again (the file says "an hour from start").
        clock.advance(std::time::Duration::from_secs(60));
        let new = Resolver::new(config(&[("cfg.test.", 1_800_003_660)]), Nowhere, clock.clone());
        let (new, report) = new.take_over(&old);
        assert_eq!(report.cache_kept, Ok(()));
        assert!(report.needs_restart.is_empty());
        assert!(cached(&new), "the answer cache survives");
        let mut ntas = new.negative_anchors();
        ntas.sort();
        assert_eq!(
            ntas,
            vec![("cfg.test.".parse().unwrap(), 3540), ("runtime.test.".parse().unwrap(), 540)],
            "the configured anchor keeps its expiry, the runtime one survives"
        );
    }

    #[test]
    fn a_new_anchor_or_forwarder_flushes_and_a_removed_nta_stays_removed() {
        let clock = ManualClock::at(1_800_000_000);
        let old = Resolver::new(config(&[("cfg.test.", 1_800_003_600)]), Nowhere, clock.clone());
        cache_www(&old, &clock);
        assert!(old.remove_negative_anchor(&"cfg.test.".parse().unwrap()));
        let mut cfg = config(&[("cfg.test.", 1_800_003_600), ("new.test.", 1_800_000_100)]);
        cfg.forwards.push(crate::config::Forward {
            zone: "example.".parse().unwrap(),
            servers: vec!["127.0.0.9:53".parse().unwrap()],
        });
        cfg.cache.memory *= 2;
        let (new, report) = Resolver::new(cfg, Nowhere, clock.clone()).take_over(&old);
        assert!(report.cache_kept.is_err());
        assert!(!cached(&new), "answers from before the forwarder are gone");
        // (Negative anchors that came or went flush their zones: below.)
        assert!(report.needs_restart.is_empty(), "a fresh cache takes the new budget");
        assert_eq!(new.negative_anchors(), vec![("new.test.".parse().unwrap(), 100)]);
    }

    #[test]
    fn a_negative_anchor_that_comes_with_a_reload_flushes_its_zone() {
        let clock = ManualClock::at(1_800_000_000);
        let old = Resolver::new(config(&[]), Nowhere, clock.clone());
        cache_www(&old, &clock);
        let (new, report) =
            Resolver::new(config(&[("example.", 1_800_000_600)]), Nowhere, clock.clone()).take_over(&old);
        assert_eq!(report.cache_kept, Ok(()));
        assert!(!cached(&new), "cached before the anchor: gone");
        // And gone again when the anchor goes.
        cache_www(&old, &clock);
        assert!(cached(&new), "shared cache");
        let (newer, _) = Resolver::new(config(&[]), Nowhere, clock).take_over(&new);
        assert!(!cached(&newer));
    }

    #[test]
    fn a_new_budget_waits_for_a_restart() {
        let clock = ManualClock::at(1_800_000_000);
        let old = Resolver::new(config(&[]), Nowhere, clock.clone());
        let mut cfg = config(&[]);
        cfg.cache.memory *= 2;
        let (new, report) = Resolver::new(cfg, Nowhere, clock).take_over(&old);
        assert_eq!(report.needs_restart.len(), 1, "{report:?}");
        assert_eq!(new.config().cache.memory, old.config().cache.memory, "the config says what is in force");
    }
}
