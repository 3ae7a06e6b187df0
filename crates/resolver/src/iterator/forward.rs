//! Forward zones (upstream resolvers asked with RD and CD, every answer
//! validated here, the chain of trust walked through the same upstream)
//! and stub zones (configured servers, the chain of trust from the
//! parent).

use candor_denial::Proof;
use candor_wire::{Ds, Edns, EdnsOption, Message, Name, Question, RData, RType, Rcode, Record};

use crate::budget::exhausted;
use crate::clock::Clock;
use crate::config::Forward;
use crate::counters::Upstream;
use crate::evidence::{Evidence, LIST_CAP, Outcome, ServerTry, add_server, safe_text};
use crate::failure::{Failure, FailureKind};
use crate::iterator::cuts::{CUT_TTL, Cut};
use crate::iterator::query::{is_server_error, over_cap, scrubbed, unanswered};
use crate::records::ds_of;
use crate::resolver::Resolver;
use crate::security::{Resolution, Security};
use crate::trace::{Link, sigs_of};
use crate::transport::{Protocol, Transport, TransportError};
use crate::validator::denial::insecure_failure;
use crate::validator::verify::{Trust, rrsigs_for};
use crate::work::Work;

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// The deepest stub zone containing `name`.
    pub(crate) fn stub_for(&self, name: &Name) -> Option<Forward> {
        self.cfg.stubs.iter().filter(|f| name.is_subdomain_of(&f.zone)).max_by_key(|f| f.zone.label_count()).cloned()
    }

    /// The cut of a stub zone: its configured servers, and the trust its
    /// parent gives it (the DS set, or the proof there is none, found by
    /// ordinary resolution).
    pub(crate) fn stub_cut<'a>(
        &'a self,
        stub: &'a Forward,
        work: &'a mut Work,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Cut, Failure>> + Send + 'a>> {
        Box::pin(async move {
            let now = self.clock.unix();
            let mut cut = Cut {
                zone: stub.zone.clone(),
                servers: stub.servers.clone(),
                trust: Trust::Insecure(None),
                pending: Vec::new(),
            };
            // An anchor for the stub zone starts the chain there; with no
            // anchor at or above it there is no chain to continue (no DS query).
            let anchor = self.cfg.anchors.get(&stub.zone).cloned();
            cut.trust = if let Some(a) = anchor {
                self.zone_keys(&cut, &a.ds, &a.keys, work).await?
            } else if stub.zone.is_root() || self.cfg.anchors.closest(&stub.zone).is_none() {
                Trust::Insecure(None)
            } else {
                let r = self.resolve_one(&stub.zone, RType::DS, work).await;
                let ds: Vec<Ds> = r
                    .answers
                    .iter()
                    .filter_map(|rr| match &rr.data {
                        RData::Ds(d) if rr.owner == stub.zone => Some(d.clone()),
                        _ => None,
                    })
                    .collect();
                match r.security {
                    Security::Secure if !ds.is_empty() => self.zone_keys(&cut, &ds, &[], work).await?,
                    Security::Secure | Security::Insecure(_) => Trust::Insecure(None),
                    Security::Bogus(f) => Trust::Bogus(*f),
                    Security::Servfail(_) => {
                        Trust::Bogus(Failure::new(FailureKind::DnskeyMissing, stub.zone.clone(), now))
                    }
                }
            };
            self.cuts.put(&cut, CUT_TTL, self.clock.monotonic());
            Ok(cut)
        })
    }

    /// The deepest forward zone containing `name`.
    pub(crate) fn forward_for(&self, name: &Name) -> Option<Forward> {
        self.cfg.forwards.iter().filter(|f| name.is_subdomain_of(&f.zone)).max_by_key(|f| f.zone.label_count()).cloned()
    }

    /// Ask upstream resolvers (RD, CD and DO set): any NOERROR or NXDOMAIN
    /// response will do; each server is tried in turn.
    pub(crate) async fn ask_upstream(
        &self,
        fwd: &Forward,
        qname: &Name,
        qtype: RType,
        work: &mut Work,
    ) -> Result<Message, Failure> {
        let now = self.clock.unix();
        let mut q = Message::query(0, Question::new(qname.clone(), qtype));
        q.header.flags.rd = true;
        q.header.flags.cd = true;
        q.edns = Some(Edns { udp_size: 1232, dnssec_ok: true, ..Edns::default() });
        let mut server_error = false;
        let mut tried: Vec<ServerTry> = Vec::new();
        let mut upstream_edes = Vec::new();
        for server in &fwd.servers {
            // A cookie of its own for each upstream (RFC 7873).
            if let (true, Some(e)) = (self.cfg.client_cookies, q.edns.as_mut()) {
                e.options = self.cookies.option(server.ip()).into_iter().collect();
            }
            let wire = q.to_wire().map_err(|_| Failure::new(FailureKind::ResolutionBudget, qname.clone(), now))?;
            let mut proto = Protocol::Udp;
            let mut outcome = Outcome::Broken;
            for _ in 0..2 {
                work.budget.charge_query(&self.cfg, self.clock.monotonic(), qname, now)?;
                let sent = self.clock.monotonic();
                let bytes = match self.transport.query(*server, proto, &wire, self.cfg.timeout).await {
                    Ok(bytes) => bytes,
                    // The name's case not echoed (0x20): TCP settles it.
                    Err(TransportError::CaseMismatch(_)) if proto == Protocol::Udp => {
                        self.counters.upstream(Upstream::CaseMismatch);
                        proto = Protocol::Tcp;
                        continue;
                    }
                    Err(TransportError::Timeout(_)) => {
                        self.counters.upstream(Upstream::Timeout);
                        outcome = Outcome::Timeouts(1);
                        break;
                    }
                    Err(TransportError::Unreachable { .. }) => {
                        self.counters.upstream(Upstream::Unreachable);
                        outcome = Outcome::Unreachable;
                        break;
                    }
                    Err(_) => {
                        self.counters.upstream(Upstream::Malformed);
                        break;
                    }
                };
                self.counters.rtt.observe(self.clock.monotonic().saturating_sub(sent));
                let Some(msg) = scrubbed(&bytes, *server, self.cfg.validator.budget.sigs_per_rrset, work) else {
                    self.counters.upstream(Upstream::Malformed);
                    break;
                };
                // Without our cookie (or BADCOOKIE): TCP settles it.
                if self.cfg.client_cookies {
                    let check = self.cookies.check(server.ip(), &msg, proto == Protocol::Udp);
                    if check != crate::cookies::Check::Fine {
                        self.counters.upstream(if check == crate::cookies::Check::Spoofed {
                            Upstream::CookieMismatch
                        } else {
                            Upstream::BadCookie
                        });
                        if proto == Protocol::Tcp {
                            break;
                        }
                        proto = Protocol::Tcp;
                        continue;
                    }
                }
                self.counters.upstream(match (msg.header.flags.tc, proto, msg.header.rcode) {
                    (true, Protocol::Udp, _) => Upstream::Truncated,
                    (true, _, _) => Upstream::Malformed,
                    (_, _, Rcode::NOERROR | Rcode::NXDOMAIN) => Upstream::Answer,
                    (_, _, Rcode::REFUSED) => Upstream::Refused,
                    (_, _, Rcode::SERVFAIL) => Upstream::Servfail,
                    _ => Upstream::ErrorRcode,
                });
                if let Some(kind) = over_cap(&msg, &self.cfg) {
                    return Err(exhausted(kind, &self.cfg, qname, now));
                }
                if msg.header.flags.tc && proto == Protocol::Udp {
                    proto = Protocol::Tcp;
                    continue;
                }
                // Truncated over TCP: a broken server, nothing to take.
                if msg.header.flags.tc {
                    break;
                }
                if matches!(msg.header.rcode, Rcode::NOERROR | Rcode::NXDOMAIN) {
                    return Ok(msg);
                }
                server_error |= is_server_error(msg.header.rcode);
                outcome = Outcome::Rcode(msg.header.rcode);
                // Its own account of why, passed on as its words.
                let edes: Vec<(u16, String)> = msg
                    .edns
                    .iter()
                    .flat_map(|e| &e.options)
                    .filter_map(|o| match o {
                        EdnsOption::Ede(x) => Some((x.code, safe_text(&x.text))),
                        _ => None,
                    })
                    .take(LIST_CAP)
                    .collect();
                upstream_edes.push(Evidence::Upstream { server: *server, rcode: msg.header.rcode, edes });
                break;
            }
            add_server(&mut tried, ServerTry { addr: *server, ns: None, outcome });
        }
        let mut f = Failure::new(unanswered(server_error), fwd.zone.clone(), now).rrset(qname, qtype);
        f.evidence.extend(upstream_edes);
        f.evidence.push(Evidence::Servers(tried));
        Err(f)
    }

    /// [`Self::blame_upstream`] for a bogus trust.
    pub(crate) fn blame(&self, t: Trust, fwd: &Forward) -> Trust {
        match t {
            Trust::Bogus(f) => Trust::Bogus(self.blame_upstream(f, fwd)),
            t => t,
        }
    }

    /// Mark a missing-signature failure as the upstream's doing.
    pub(crate) fn blame_upstream(&self, mut f: Failure, fwd: &Forward) -> Failure {
        if f.kind == FailureKind::RrsigsMissing {
            f.source = fwd.servers.first().copied().map(|a| Box::new(crate::failure::Source::Upstream(a)));
        }
        f
    }

    /// Walk the chain of trust from the root down to the zone that holds
    /// `target`, asking the upstream for each DS and DNSKEY set: the
    /// classic validation of a forwarded answer.
    pub(crate) async fn chain_via(
        &self,
        fwd: &Forward,
        target: &Name,
        work: &mut Work,
    ) -> Result<(Name, Trust), Failure> {
        let now = self.clock.unix();
        let root = Name::root();
        let anchor = self.cfg.anchors.get(&root).cloned();
        let Some(anchor) = anchor else { return Ok((root, Trust::Insecure(None))) };
        let mut zone = root.clone();
        let msg = self.ask_upstream(fwd, &root, RType::DNSKEY, work).await?;
        let mut trust = self.blame(self.trust_from(&root, &anchor.ds, &anchor.keys, &msg, work), fwd);
        let depth = target.label_count();
        for n in 1..=depth {
            let Trust::Secure(keys) = &trust else { break };
            let name = target.trim_to(n);
            let msg = self.ask_upstream(fwd, &name, RType::DS, work).await?;
            let ds_set: Vec<Record> =
                msg.answers.iter().filter(|r| r.owner == name && r.rtype() == RType::DS).cloned().collect();
            if !ds_set.is_empty() {
                let sigs = rrsigs_for(&msg.answers, &name, RType::DS);
                let verified = self.cfg.validator.verify_rrset(&ds_set, &sigs, keys, now, &mut work.budget.spent);
                work.record(|| Link::Ds {
                    parent: keys.zone.clone(),
                    child: name.clone(),
                    ds: ds_of(&ds_set),
                    rrsigs: sigs_of(&msg.answers, &name, RType::DS),
                    state: verified.as_ref().err().map_or(Security::Secure, |f| Security::bogus(f.clone())),
                });
                if let Err(f) = verified {
                    return Ok((zone, Trust::Bogus(self.blame_upstream(f, fwd))));
                }
                let ds = ds_of(&ds_set);
                let kmsg = self.ask_upstream(fwd, &name, RType::DNSKEY, work).await?;
                zone = name.clone();
                trust = self.blame(self.trust_from(&name, &ds, &[], &kmsg, work), fwd);
                continue;
            }
            // No DS: the zone above must prove it, signed.
            let has_proof = msg.authority.iter().any(|r| r.rtype() == RType::RRSIG);
            if !has_proof {
                let f = Failure::new(FailureKind::RrsigsMissing, keys.zone.clone(), now).rrset(&name, RType::DS);
                return Ok((zone, Trust::Bogus(self.blame_upstream(f, fwd))));
            }
            if msg.header.rcode == Rcode::NXDOMAIN {
                break; // nothing exists below: the answer's proof will show it
            }
            let insecure = self
                .deny(keys, &msg.authority, work, |h, lim, recs| candor_denial::no_ds(&name, &keys.zone, recs, h, lim));
            if let Ok(p @ (Proof::NoDs | Proof::OptOut)) = &insecure {
                let opt_out = matches!(p, Proof::OptOut);
                work.record(|| Link::NoDs {
                    parent: keys.zone.clone(),
                    child: name.clone(),
                    opt_out,
                    state: Security::Insecure(None),
                });
            }
            match insecure {
                Ok(Proof::NoDs | Proof::OptOut) => {
                    zone = name.clone();
                    trust = Trust::Insecure(None);
                }
                Ok(Proof::Insecure(i)) => {
                    zone = name.clone();
                    trust = Trust::Insecure(Some(insecure_failure(&i, &keys.zone, now)));
                }
                _ => {
                    // Not a delegation: the name must be a proven non-cut.
                    let proof = self.deny(keys, &msg.authority, work, |h, lim, recs| {
                        candor_denial::nodata(&name, RType::DS, &keys.zone, recs, h, lim)
                    });
                    if let Err(f) = proof {
                        return Ok((zone, Trust::Bogus(f)));
                    }
                }
            }
        }
        Ok((zone, trust))
    }

    /// Resolve through upstream resolvers and validate here.
    pub(crate) async fn resolve_forwarded(
        &self,
        fwd: &Forward,
        qname: &Name,
        qtype: RType,
        work: &mut Work,
    ) -> Result<Resolution, Failure> {
        let msg = self.ask_upstream(fwd, qname, qtype, work).await?;
        // The zone that signed the answer (or its denial); unsigned: the name's own.
        let signer = msg.answers.iter().chain(&msg.authority).find_map(|r| match &r.data {
            RData::Rrsig(s) => Some(s.signer.clone()),
            _ => None,
        });
        let target = signer.clone().unwrap_or_else(|| qname.clone());
        let (zone, trust) = self.chain_via(fwd, &target, work).await?;
        let cut = Cut { zone, servers: Vec::new(), trust, pending: Vec::new() };
        let mut r = self.finish(&cut, qname, qtype, msg, work);
        if let Security::Bogus(f) = &mut r.security {
            **f = self.blame_upstream((**f).clone(), fwd);
        }
        Ok(r)
    }
}
