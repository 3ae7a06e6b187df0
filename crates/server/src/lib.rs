//! # candor-server
//!
//! The stub-facing side of candor: what stands between a stub resolver
//! (dig, glibc, systemd-resolved) and [`candor_resolver::Resolver`].
//!
//! **Owns**: the listeners and their workers ([`listen`]: UDP and TCP per
//! address, `SO_REUSEPORT`, TCP pipelining, the ACL checked at accept,
//! TCP slots per client, read and write timeouts; client questions being
//! resolved bounded in all and per client), the [`Acl`], request
//! checks ([`check`]: FORMERR, NOTIMP, BADVERS, REFUSED + EDE 18, classes
//! other than IN and zone transfers REFUSED + EDE 21), response
//! shaping ([`shape`]: AD, DNSSEC records with DO, SERVFAIL with every
//! EDE the failure gives, CD=1, RFC 8482 for ANY) and UDP truncation
//! ([`to_udp`]: extra-texts cut before RRsets go, codes dropped last), each
//! worker's cache of finished responses for repeated plain questions
//! ([`replies`]: no lock, no allocation on a hit), batched UDP on sockets
//! bound to one address (`recvmmsg`/`sendmmsg`), the
//! resolver in service and its reload ([`Current`]), the server side
//! of the control socket ([`control`], with `why`: a question's last
//! failure and, on request, its chain walked afresh), and the metrics:
//! each worker's own counters ([`tally`]), read with the resolver's into
//! one [`metrics::Snapshot`] for `control stats` and the Prometheus
//! endpoint ([`serve_metrics`], HTTP through hyper), the query log
//! ([`querylog`]), failed questions' rate-limited WARN lines and the last
//! hour's most failing zones and servers, and serve-stale's client timer
//! (the refresh runs as a task while the client gets the stale answer);
//! DNS over TLS ([`tls`]: rustls, the certificate swapped on a reload,
//! connections served like TCP's with RFC 8467 padding); DNS over HTTPS
//! ([`doh`]: hyper's HTTP/2 and HTTP/1.1, each request answered like a
//! TCP question; stream, reset, head and body limits; each HTTP/2
//! response in a TLS record of its own, `records`); DNS cookies
//! ([`cookies`]: RFC 9018 server cookies, BADCOOKIE and the rate limit's
//! exemption for a proven address); the PROXY v2
//! header of trusted load balancers ([`proxy`]: read before
//! each UDP query and at the start of each TCP connection from an address
//! of `proxy-allow`, so the ACL, the limits and the log see the client).
//!
//! **Must not know about**: resolver internals (it uses the resolver's
//! public API only); the lab and replay crates (test infrastructure: the
//! serving path never links them, `tests/architecture.rs` checks it);
//! command-line parsing and configuration files (the binary's).
//!
//! **Known limitations**: UDP truncation bisects over the RRsets it may
//! leave out (O(log n) encodings, not one); the in-flight limits are read
//! at start (a reload keeps them); `why` shows the kept failure's
//! evidence, not the links of that resolution (the serving path records
//! none: `--trace` walks again); a UDP query over 4,096 octets on a
//! socket bound to one address is dropped unread (the batch buffers; no
//! plain query comes near it); each worker's response cache holds its
//! share of the entries, so a question asked through several workers is
//! kept once per worker; a query with a DNS cookie ([`cookies`]) is
//! answered from it only when the cookie is its OPT's one option (the
//! cookies are patched in like the ID), and every hit takes the secret's
//! read lock, shared by the workers, to make the server cookie. The
//! query log's writer thread shares the workers' cores (a full log of
//! every query costs about a quarter of cached throughput on one core);
//! the counters cannot be switched off. A trusted proxy's TCP connections
//! count against its own per-client share of the TCP slots (16), not its
//! clients'; the response to a proxied UDP query is not sent with a
//! PROXY header (dnsdist needs none).

mod acl;
mod batch;
pub mod control;
pub mod cookies;
mod current;
mod doh;
mod failure_log;
mod handle;
mod listen;
pub mod metrics;
mod padding;
mod pktinfo;
pub mod proxy;
pub mod querylog;
pub mod ratelimit;
mod records;
pub mod replies;
mod reply;
mod request;
mod scrape;
mod shape;
mod slots;
mod summary;
mod sync;
pub mod tally;
mod tcp;
#[cfg(test)]
mod testutil;
pub mod tls;
mod top;
mod truncate;
mod udp;
mod why;

pub use acl::{Acl, Action};
pub use current::Current;
pub use handle::{Immediate, handle, immediate, resolve_and_reply};
pub use listen::{Listeners, Reconciled, listen, listen_held};
pub use reply::MAX_UDP;
pub use request::{Request, check};
pub use scrape::serve_metrics;
pub use shape::{minimal_any, shape};
pub use truncate::to_udp;
pub use why::json_string;
