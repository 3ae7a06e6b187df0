//! The case catalogue: each case is data. The zone it builds, the breakage
//! applied after signing, the query, and what a validating resolver must
//! say about it. Case names follow the public extended-dns-errors.com test
//! bed where one exists.

use candor_wire::{Algorithm, RType};

use crate::authority::Behavior;

/// What a validating resolver must conclude.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Validated: AD.
    Secure,
    /// Provably unsigned or unsupported: no AD, no error.
    Insecure,
    /// Validation failed: SERVFAIL with EDE.
    Bogus,
    /// No answer could be had: SERVFAIL with EDE.
    Servfail,
}

impl Verdict {
    /// The lower-case word used in `cases.tsv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Secure => "secure",
            Verdict::Insecure => "insecure",
            Verdict::Bogus => "bogus",
            Verdict::Servfail => "servfail",
        }
    }

    /// The verdict a word of `cases.tsv` names.
    pub fn parse(word: &str) -> Option<Verdict> {
        [Verdict::Secure, Verdict::Insecure, Verdict::Bogus, Verdict::Servfail].into_iter().find(|v| v.as_str() == word)
    }
}

/// Which key of a zone a breakage touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// The key-signing key (257).
    Ksk,
    /// The zone-signing key (256).
    Zsk,
}

/// A change made to a zone after it is signed (or to how it is signed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breakage {
    /// Re-sign the RRsets of one type (all when `None`) with a window
    /// relative to the lab's time, in seconds.
    Window {
        /// Type, or every type.
        rtype: Option<RType>,
        /// Inception offset from now.
        inception: i64,
        /// Expiration offset from now.
        expiration: i64,
    },
    /// Remove the RRSIGs over one type (all when `None`).
    DropRrsigs(Option<RType>),
    /// Remove the RRSIG the given key made over the DNSKEY RRset.
    DropDnskeyRrsigBy(KeyRole),
    /// Flip bits in the signature of the RRSIGs over one type (all DNSKEY
    /// RRSIGs when `DNSKEY`), or only those made by one key.
    CorruptRrsig(RType, Option<KeyRole>),
    /// Remove a key from the DNSKEY RRset (re-signing it with what is left).
    DropKey(KeyRole),
    /// Remove the DNSKEY RRset and its RRSIGs.
    DropDnskeyRrset,
    /// Change a key's flags (the RRset re-signed by the other key where possible).
    KeyFlags(KeyRole, u16),
    /// Change a key's algorithm field (and re-sign the DNSKEY RRset).
    KeyAlgorithm(KeyRole, u8),
    /// Flip bits in a key's public key.
    CorruptKey(KeyRole),
    /// Set the revoke bit on the KSK, re-signing with it.
    RevokeKsk,
    /// Replace the first label of one NSEC3 owner (re-signed).
    Nsec3BadHash,
    /// Change one NSEC3's next hashed owner (re-signed).
    Nsec3BadNext,
    /// Remove every NSEC3 and its RRSIG.
    DropNsec3,
    /// Remove the RRSIGs over NSEC3 records.
    DropNsec3Rrsigs,
    /// Corrupt the RRSIGs over NSEC3 records.
    CorruptNsec3Rrsigs,
    /// Remove one NSEC3 from the chain: a gap.
    Nsec3Gap,
    /// Give one NSEC3 another salt (re-signed): the proof's records disagree.
    Nsec3SaltMismatch,
    /// Remove the NSEC3PARAM (and its RRSIG).
    DropNsec3param,
    /// Change the NSEC3PARAM salt (re-signed) so it names no chain.
    Nsec3paramBadSalt,
    /// Remove an RRset (relative owner, type) and its RRSIG after signing,
    /// leaving the NSEC/NSEC3 bitmap that still lists the type.
    DropRrset(&'static str, RType),
    /// Replace the keys and signatures with placeholders of this algorithm
    /// (no chosen crate signs it).
    PlaceholderAlgorithm(u8),
    /// KeyTrap: this many keys share the data signer's tag (the DNSKEY
    /// RRset still validates), and every other RRset carries `sigs` RRSIGs
    /// naming that tag, none valid.
    KeyTrap {
        /// Keys sharing the tag, the true one included.
        keys: usize,
        /// Bogus RRSIGs per RRset.
        sigs: usize,
    },
    /// Every RRset but the DNSKEY RRset carries this many RRSIGs by the
    /// data signer's tag, none valid.
    SigFlood(usize),
    /// Put the zone in a state of a key rollover.
    Rollover(Rollover),
}

/// What the parent publishes for a case zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DsSpec {
    /// The right DS.
    Good,
    /// No DS: the child is insecure, and the parent proves it.
    None,
    /// The DS with another key tag.
    BadTag,
    /// The DS with another key algorithm number.
    KeyAlgorithm(u8),
    /// The DS with another digest type number.
    DigestType(u8),
    /// The DS with a wrong digest.
    BogusDigest,
    /// A DS with a wrong digest next to the right one (same digest type).
    BogusNextToGood,
}

/// How a case zone is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Build {
    /// Signed with this algorithm, layout and denial.
    Signed {
        /// Algorithm.
        algorithm: Algorithm,
        /// True: one CSK; false: KSK + ZSK.
        csk: bool,
        /// NSEC3 (salt, iterations, opt-out), or NSEC when `None`.
        nsec3: Option<(Vec<u8>, u16, bool)>,
    },
    /// Not signed at all.
    Unsigned,
}

/// One lab case.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case's name: its zone is `<name>.test.`.
    pub name: String,
    /// How the zone is built.
    pub build: Build,
    /// What the parent says.
    pub ds: DsSpec,
    /// Breakages applied after signing.
    pub breakage: Vec<Breakage>,
    /// How the zone's server behaves.
    pub behavior: Behavior,
    /// The query name relative to the zone (`@` for the apex).
    pub qname: String,
    /// The query type.
    pub qtype: RType,
    /// The expected verdict.
    pub verdict: Verdict,
    /// The expected EDE info-code, if any.
    pub ede: Option<u16>,
    /// The verdict and EDE code under `harden-algo-downgrade` (every
    /// algorithm the DS set lists must sign), where that policy changes them.
    pub hardened: Option<(Verdict, Option<u16>)>,
    /// A stable identifier of the failure for tools to match on.
    pub kind: &'static str,
    /// The root cause in an operator's words.
    pub description: String,
    /// Where the resolver's clock should stand, relative to the lab's time.
    pub clock_offset: i64,
    /// Extra records in the zone (zone-file text, relative to the zone).
    pub extra: String,
    /// Whether a server listens for the zone.
    pub listening: bool,
    /// Glue address override for the zone's name server (special-purpose addresses).
    pub glue: Option<&'static str>,
    /// A label under the zone delegated, without DS, to an unsigned child
    /// zone the lab also serves.
    pub unsigned_child: Option<&'static str>,
}

pub(crate) const DAY: i64 = 86_400;

pub(crate) fn signed(algorithm: Algorithm) -> Build {
    Build::Signed { algorithm, csk: false, nsec3: None }
}

pub(crate) fn nsec3(iterations: u16) -> Build {
    Build::Signed {
        algorithm: Algorithm::ECDSAP256SHA256,
        csk: false,
        nsec3: Some((vec![0xab, 0xcd], iterations, false)),
    }
}

/// A case with defaults: alg 13, KSK+ZSK, NSEC, good DS, apex A query.
pub(crate) fn case(name: &str, verdict: Verdict, ede: Option<u16>, kind: &'static str, description: &str) -> Case {
    Case {
        name: name.to_owned(),
        build: signed(Algorithm::ECDSAP256SHA256),
        ds: DsSpec::Good,
        breakage: Vec::new(),
        behavior: Behavior::default(),
        qname: "@".to_owned(),
        qtype: RType::A,
        verdict,
        ede,
        hardened: None,
        kind,
        description: description.to_owned(),
        clock_offset: 0,
        extra: String::new(),
        listening: true,
        glue: None,
        unsigned_child: None,
    }
}

impl Case {
    pub(crate) fn build(mut self, b: Build) -> Case {
        self.build = b;
        self
    }
    pub(crate) fn ds(mut self, d: DsSpec) -> Case {
        self.ds = d;
        self
    }
    pub(crate) fn brk(mut self, b: Breakage) -> Case {
        self.breakage.push(b);
        self
    }
    pub(crate) fn q(mut self, qname: &str, qtype: RType) -> Case {
        self.qname = qname.to_owned();
        self.qtype = qtype;
        self
    }
    pub(crate) fn behave(mut self, b: Behavior) -> Case {
        self.behavior = b;
        self
    }
    pub(crate) fn clock(mut self, offset: i64) -> Case {
        self.clock_offset = offset;
        self
    }
    pub(crate) fn child(mut self, label: &'static str) -> Case {
        self.unsigned_child = Some(label);
        self
    }
    pub(crate) fn extra(mut self, text: &str) -> Case {
        self.extra = text.to_owned();
        self
    }
}

/// Where a zone stands in a key rollover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollover {
    /// ZSK pre-publication: the new ZSK is in the DNSKEY RRset, the old
    /// one still signs everything.
    ZskPrepublish,
    /// ZSK double signature: both ZSKs published, both sign every RRset.
    ZskDoubleSignature,
    /// KSK double-DS: the parent lists the old and the new KSK's DS; the
    /// new KSK alone is published and signs the DNSKEY RRset.
    KskDoubleDs,
    /// KSK double-KSK: both KSKs published and signing the DNSKEY RRset;
    /// the parent still lists the old one's DS only.
    KskDoubleKsk,
    /// The old KSK removed before the new one's DS reached the parent:
    /// the parent's DS names a key the zone no longer has.
    KskRemovedEarly,
    /// A standby KSK: published, with a DS at the parent, signing nothing.
    StandbyKsk,
    /// Algorithm rollover in progress (RFC 6781 §4.1.4): keys of both
    /// algorithms published, DS for both, every RRset signed by both.
    AlgorithmInProgress,
    /// Algorithm rollover done too early: keys and DS of both algorithms,
    /// but the RRsets other than DNSKEY signed by the old algorithm only.
    AlgorithmTooEarly,
}
