//! What the client gets beside the answer: the zone's NS RRset and the
//! addresses of in-zone NS/MX/SRV targets, each passed on only when it
//! verifies on its own.

use crate::clock::Clock;
use crate::iterator::cuts::{Cut, trusted};
use crate::records::dedup_records;
use crate::resolver::Resolver;
use crate::transport::Transport;
use crate::work::Work;
use candor_wire::{Name, RData, RType, Record};

impl<T: Transport, C: Clock> Resolver<T, C> {
    /// For non-minimal responses: the zone's NS RRset from `authority` and
    /// its in-zone servers' addresses from `extra` (into `additional`),
    /// each with its RRSIGs and, in a secure zone, only if it verifies.
    pub(crate) fn referral_data(
        &self,
        cut: &Cut,
        qname: &Name,
        authority: &[Record],
        extra: &[Record],
        additional: &mut Vec<Record>,
        work: &mut Work,
    ) -> Vec<Record> {
        // The zone the answer comes from: the cut's, or a zone between it
        // and the name that the same servers serve (its NS RRset then
        // verifies only where that zone is insecure).
        let Some(zone) = authority
            .iter()
            .filter(|r| r.rtype() == RType::NS && qname.is_subdomain_of(&r.owner) && r.owner.is_subdomain_of(&cut.zone))
            .map(|r| r.owner.clone())
            .max_by_key(Name::label_count)
        else {
            return Vec::new();
        };
        let Some(ns) = self.verified_rrset(trusted(cut), authority, &zone, RType::NS, work) else { return Vec::new() };
        self.host_addresses(cut, &zone, &ns, extra, additional, work);
        ns
    }

    /// The addresses in `extra` of the hosts that records in `records` name
    /// inside `zone` (NS, MX and SRV targets; into `additional`), each with
    /// its RRSIGs and, in a secure zone, only if it verifies.
    pub(crate) fn host_addresses(
        &self,
        cut: &Cut,
        zone: &Name,
        records: &[Record],
        extra: &[Record],
        additional: &mut Vec<Record>,
        work: &mut Work,
    ) {
        let hosts = records.iter().filter_map(|r| match &r.data {
            RData::Ns(n) => Some(n),
            RData::Mx(m) => Some(&m.exchange),
            RData::Srv(s) => Some(&s.target),
            _ => None,
        });
        for host in hosts.filter(|h| h.is_subdomain_of(zone)) {
            for t in [RType::A, RType::AAAA] {
                if let Some(records) = self.verified_rrset(trusted(cut), extra, host, t, work) {
                    additional.extend(records);
                }
            }
        }
        dedup_records(additional);
    }
}
