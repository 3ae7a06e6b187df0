//! # candor-lab
//!
//! The broken-zone lab: a signer, the catalogue of deliberately broken
//! cases, and loopback authoritative servers for them. Users regression-test
//! resolvers against it; candor's own tests and `candor demo` stand on it.
//!
//! **Owns**: signing zones (KSK+ZSK or CSK; algorithms 8, 10, 13, 14, 15, 16;
//! NSEC or NSEC3 with salt, iterations and opt-out), the catalogue
//! ([`cases`]) with each case's expected verdict, EDE code and failure kind,
//! the lab hierarchy (a root, `test.`, `com.`, `net.` and one zone per case,
//! each on its own loopback address), authoritative answering
//! ([`Authority`]) and serving over UDP and TCP ([`serve`]), and the files
//! `candor lab --out` writes ([`write_files`]: the zones, hints, anchors,
//! `cases.tsv`; [`write_resolver_configs`]: ready configurations of
//! Unbound, named, kresd and the Recursor with their allow-files of
//! measured policy differences, [`DIFFERENCES`]), the key-rollover states
//! ([`Rollover`]), and the benchmark zones
//! of `candor bench` ([`BENCH_ZONES`]: one per algorithm, NSEC3, bogus;
//! large zones are signed on every core).
//!
//! **Must not know about**: the resolver. It answers like any
//! authoritative server, misbehaving only where a case says so.
//!
//! **Known limitations**: algorithms no chosen crate signs (RSAMD5, DSA)
//! get placeholder keys and signatures, which no validator can verify;
//! signatures are made once at build time (a long-running lab is rebuilt
//! by its caller); ECDSA signing (`p256`, deterministic) is slow, about
//! 0.35 ms a signature, so a 10,000-name benchmark zone takes seconds.
//! The other resolvers' configurations and allow-files are for, and were
//! measured with, the Debian 12 versions; other versions may differ.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod attack;
mod authority;
mod bench;
mod build;
mod cases;
mod catalog;
mod evidence;
mod files;
mod resign;
mod resolvers;
mod rollover;
mod server;
mod signer;

pub use attack::{CNAME_LINKS, NSEC3_LABELS, deep_name};
pub use authority::{Authority, Behavior};
pub use bench::{BENCH_BOGUS, BENCH_NSEC3, BENCH_ZONES, BENCH8, BENCH13, BENCH15, BenchZone};
pub use build::{Lab, LabConfig, LabZone};
pub use cases::cases;
pub use catalog::{Breakage, Build, Case, DsSpec, KeyRole, Rollover, Verdict};
pub use files::{write_anchor_files, write_files};
pub use resolvers::{DIFFERENCES, write_resolver_configs};
pub use server::{Running, respond, serve};
pub use signer::{Denial, KeyLayout, SignOptions, SignedZone, ZoneKeys, sign_rrset, sign_zone};

use std::net::SocketAddr;

use candor_wire::Name;

/// What can go wrong building or serving the lab.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// A zone has no SOA at its apex.
    #[error("zone {0} has no SOA at its apex")]
    NoSoa(Name),
    /// An RRset to sign was empty.
    #[error("empty RRset")]
    EmptyRrset,
    /// A DS digest type is not supported.
    #[error("unsupported digest type")]
    Unsupported,
    /// A signing thread panicked (a bug).
    #[error("a signing thread of zone {0} panicked")]
    SignerPanicked(Name),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] candor_crypto::SignError),
    /// A name was malformed.
    #[error(transparent)]
    Name(#[from] candor_wire::NameError),
    /// Zone text did not parse.
    #[error(transparent)]
    Zone(#[from] candor_wire::text::ZoneError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {kind}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        kind: std::io::ErrorKind,
    },
    /// Writing the lab's files failed.
    #[error("cannot write {path}: {kind}")]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        kind: std::io::ErrorKind,
    },
}
