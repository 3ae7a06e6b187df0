//! Numeric code points with their mnemonics: record types, classes, opcodes,
//! rcodes and DNSSEC algorithm numbers.

use std::fmt;

macro_rules! code_type {
    (
        $(#[$meta:meta])* $name:ident($int:ty), prefix $prefix:literal,
        { $( $(#[$cmeta:meta])* $konst:ident = $val:literal, $text:literal; )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $int);

        impl $name {
            $( $(#[$cmeta])* pub const $konst: $name = $name($val); )*

            /// The mnemonic, if this code point has one.
            pub fn mnemonic(self) -> Option<&'static str> {
                match self.0 {
                    $( $val => Some($text), )*
                    _ => None,
                }
            }

            /// Parse a mnemonic (case-insensitive) or the generic form
            #[doc = concat!("`", $prefix, "NNN`.")]
            pub fn from_text(text: &str) -> Option<$name> {
                $( if text.eq_ignore_ascii_case($text) { return Some($name($val)); } )*
                let digits = text.get($prefix.len()..)?;
                if text.get(..$prefix.len())?.eq_ignore_ascii_case($prefix)
                    && !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return digits.parse().ok().map($name);
                }
                None
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.mnemonic() {
                    Some(m) => f.write_str(m),
                    None => write!(f, concat!($prefix, "{}"), self.0),
                }
            }
        }
    };
}

code_type! {
    /// A resource record type (RFC 1035 §3.2.2 and the IANA registry).
    RType(u16), prefix "TYPE", {
        /// IPv4 address.
        A = 1, "A";
        /// Authoritative name server.
        NS = 2, "NS";
        /// Canonical name.
        CNAME = 5, "CNAME";
        /// Start of authority.
        SOA = 6, "SOA";
        /// Null (RFC 1035 §3.3.10; opaque data, RFC 3597 form in text).
        NULL = 10, "NULL";
        /// Domain name pointer.
        PTR = 12, "PTR";
        /// Host information.
        HINFO = 13, "HINFO";
        /// Mail exchange.
        MX = 15, "MX";
        /// Text strings.
        TXT = 16, "TXT";
        /// X.400 mail mapping (RFC 2163).
        PX = 26, "PX";
        /// IPv6 address.
        AAAA = 28, "AAAA";
        /// Location (RFC 1876; RFC 3597 form in text).
        LOC = 29, "LOC";
        /// Service locator.
        SRV = 33, "SRV";
        /// Naming authority pointer (RFC 3403).
        NAPTR = 35, "NAPTR";
        /// Delegation name.
        DNAME = 39, "DNAME";
        /// EDNS pseudo-record.
        OPT = 41, "OPT";
        /// Delegation signer.
        DS = 43, "DS";
        /// SSH key fingerprint.
        SSHFP = 44, "SSHFP";
        /// DNSSEC signature.
        RRSIG = 46, "RRSIG";
        /// Next secure.
        NSEC = 47, "NSEC";
        /// DNS public key.
        DNSKEY = 48, "DNSKEY";
        /// Hashed next secure.
        NSEC3 = 50, "NSEC3";
        /// NSEC3 parameters.
        NSEC3PARAM = 51, "NSEC3PARAM";
        /// TLS authentication.
        TLSA = 52, "TLSA";
        /// Child DS.
        CDS = 59, "CDS";
        /// Child DNSKEY.
        CDNSKEY = 60, "CDNSKEY";
        /// Service binding.
        SVCB = 64, "SVCB";
        /// HTTPS service binding.
        HTTPS = 65, "HTTPS";
        /// Zone transfer (query only).
        AXFR = 252, "AXFR";
        /// Any type (query only).
        ANY = 255, "ANY";
        /// Certification authority authorisation.
        CAA = 257, "CAA";
    }
}

code_type! {
    /// A DNS class.
    Class(u16), prefix "CLASS", {
        /// Internet.
        IN = 1, "IN";
        /// Chaos.
        CH = 3, "CH";
        /// Hesiod.
        HS = 4, "HS";
        /// None (dynamic update).
        NONE = 254, "NONE";
        /// Any class (query only).
        ANY = 255, "ANY";
    }
}

code_type! {
    /// A DNSSEC algorithm number (IANA "DNS Security Algorithm Numbers").
    Algorithm(u8), prefix "ALG", {
        /// RSA/MD5 (deprecated).
        RSAMD5 = 1, "RSAMD5";
        /// DSA/SHA-1.
        DSA = 3, "DSA";
        /// RSA/SHA-1.
        RSASHA1 = 5, "RSASHA1";
        /// DSA-NSEC3-SHA1.
        DSA_NSEC3_SHA1 = 6, "DSA-NSEC3-SHA1";
        /// RSASHA1-NSEC3-SHA1.
        RSASHA1_NSEC3_SHA1 = 7, "RSASHA1-NSEC3-SHA1";
        /// RSA/SHA-256.
        RSASHA256 = 8, "RSASHA256";
        /// RSA/SHA-512.
        RSASHA512 = 10, "RSASHA512";
        /// GOST R 34.10-2001.
        ECC_GOST = 12, "ECC-GOST";
        /// ECDSA P-256 with SHA-256.
        ECDSAP256SHA256 = 13, "ECDSAP256SHA256";
        /// ECDSA P-384 with SHA-384.
        ECDSAP384SHA384 = 14, "ECDSAP384SHA384";
        /// Ed25519.
        ED25519 = 15, "ED25519";
        /// Ed448.
        ED448 = 16, "ED448";
        /// Indirect.
        INDIRECT = 252, "INDIRECT";
        /// Private, domain-name identified.
        PRIVATEDNS = 253, "PRIVATEDNS";
        /// Private, OID identified.
        PRIVATEOID = 254, "PRIVATEOID";
    }
}

code_type! {
    /// A DNS opcode (4 bits).
    Opcode(u8), prefix "OPCODE", {
        /// Standard query.
        QUERY = 0, "QUERY";
        /// Inverse query (obsolete).
        IQUERY = 1, "IQUERY";
        /// Server status.
        STATUS = 2, "STATUS";
        /// Zone change notification.
        NOTIFY = 4, "NOTIFY";
        /// Dynamic update.
        UPDATE = 5, "UPDATE";
        /// DNS stateful operations.
        DSO = 6, "DSO";
    }
}

code_type! {
    /// A response code, 12 bits wide once EDNS extends it (RFC 6891 §6.1.3).
    Rcode(u16), prefix "RCODE", {
        /// No error.
        NOERROR = 0, "NOERROR";
        /// Format error.
        FORMERR = 1, "FORMERR";
        /// Server failure.
        SERVFAIL = 2, "SERVFAIL";
        /// Name does not exist.
        NXDOMAIN = 3, "NXDOMAIN";
        /// Not implemented.
        NOTIMP = 4, "NOTIMP";
        /// Refused.
        REFUSED = 5, "REFUSED";
        /// Name exists when it should not.
        YXDOMAIN = 6, "YXDOMAIN";
        /// RRset exists when it should not.
        YXRRSET = 7, "YXRRSET";
        /// RRset that should exist does not.
        NXRRSET = 8, "NXRRSET";
        /// Not authoritative.
        NOTAUTH = 9, "NOTAUTH";
        /// Name not in zone.
        NOTZONE = 10, "NOTZONE";
        /// Bad OPT version.
        BADVERS = 16, "BADVERS";
        /// Bad or missing server cookie.
        BADCOOKIE = 23, "BADCOOKIE";
    }
}

/// DS digest type numbers (IANA "Delegation Signer (DS) Resource Record Digest Algorithms").
pub mod digest {
    /// SHA-1.
    pub const SHA1: u8 = 1;
    /// SHA-256.
    pub const SHA256: u8 = 2;
    /// GOST R 34.11-94.
    pub const GOST: u8 = 3;
    /// SHA-384.
    pub const SHA384: u8 = 4;
}
