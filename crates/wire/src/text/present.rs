//! Presentation form, as dig prints it.

use std::fmt;

use super::encoding::{base32hex_encode, base64_encode, hex_encode};
use crate::bitmap::TypeBitmap;
use crate::edns::{EdnsOption, ExtendedError};
use crate::message::Message;
use crate::rdata::RData;
use crate::record::{Question, Record};
use crate::serial::Timestamp;

fn char_string(f: &mut fmt::Formatter<'_>, s: &[u8]) -> fmt::Result {
    f.write_str("\"")?;
    for &b in s {
        match b {
            b'"' | b'\\' => write!(f, "\\{}", b as char)?,
            0x20..=0x7e => write!(f, "{}", b as char)?,
            _ => write!(f, "\\{b:03}")?,
        }
    }
    f.write_str("\"")
}

fn generic(f: &mut fmt::Formatter<'_>, data: &[u8]) -> fmt::Result {
    if data.is_empty() { write!(f, "\\# 0") } else { write!(f, "\\# {} {}", data.len(), hex_encode(data)) }
}

fn salt(s: &[u8]) -> String {
    if s.is_empty() { "-".to_owned() } else { hex_encode(s) }
}

impl fmt::Display for TypeBitmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.types().iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{t}")?;
        }
        Ok(())
    }
}

impl fmt::Display for RData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RData::A(a) => write!(f, "{a}"),
            RData::Aaaa(a) => write!(f, "{a}"),
            RData::Ns(n) | RData::Cname(n) | RData::Dname(n) | RData::Ptr(n) => write!(f, "{n}"),
            RData::Soa(s) => {
                write!(f, "{} {} {} {} {} {} {}", s.mname, s.rname, s.serial, s.refresh, s.retry, s.expire, s.minimum)
            }
            RData::Mx(m) => write!(f, "{} {}", m.preference, m.exchange),
            RData::Txt(strings) => {
                if strings.is_empty() {
                    return generic(f, &[]);
                }
                for (i, s) in strings.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    char_string(f, s)?;
                }
                Ok(())
            }
            RData::Srv(s) => write!(f, "{} {} {} {}", s.priority, s.weight, s.port, s.target),
            RData::Hinfo(h) => {
                char_string(f, &h.cpu)?;
                f.write_str(" ")?;
                char_string(f, &h.os)
            }
            RData::Px(p) => write!(f, "{} {} {}", p.preference, p.map822, p.mapx400),
            RData::Naptr(n) => {
                write!(f, "{} {} ", n.order, n.preference)?;
                for s in [&n.flags, &n.services, &n.regexp] {
                    char_string(f, s)?;
                    f.write_str(" ")?;
                }
                write!(f, "{}", n.replacement)
            }
            RData::Ds(d) | RData::Cds(d) => {
                write!(f, "{} {} {} {}", d.key_tag, d.algorithm.0, d.digest_type, hex_encode(&d.digest))
            }
            RData::Dnskey(k) | RData::Cdnskey(k) => {
                write!(f, "{} {} {} {}", k.flags, k.protocol, k.algorithm.0, base64_encode(&k.public_key))
            }
            RData::Rrsig(s) => write!(
                f,
                "{} {} {} {} {} {} {} {} {}",
                s.type_covered,
                s.algorithm.0,
                s.labels,
                s.original_ttl,
                Timestamp(s.expiration),
                Timestamp(s.inception),
                s.key_tag,
                s.signer,
                base64_encode(&s.signature)
            ),
            RData::Nsec(n) => {
                write!(f, "{}", n.next)?;
                if !n.types.is_empty() {
                    write!(f, " {}", n.types)?;
                }
                Ok(())
            }
            RData::Nsec3(n) => {
                write!(
                    f,
                    "{} {} {} {} {}",
                    n.hash_algorithm,
                    n.flags,
                    n.iterations,
                    salt(&n.salt),
                    base32hex_encode(&n.next_hashed)
                )?;
                if !n.types.is_empty() {
                    write!(f, " {}", n.types)?;
                }
                Ok(())
            }
            RData::Nsec3param(n) => write!(f, "{} {} {} {}", n.hash_algorithm, n.flags, n.iterations, salt(&n.salt)),
            RData::Tlsa(t) => write!(f, "{} {} {} {}", t.usage, t.selector, t.matching_type, hex_encode(&t.data)),
            RData::Sshfp(s) => write!(f, "{} {} {}", s.algorithm, s.fp_type, hex_encode(&s.fingerprint)),
            RData::Caa(c) => {
                write!(f, "{} {} ", c.flags, String::from_utf8_lossy(&c.tag))?;
                char_string(f, &c.value)
            }
            RData::Svcb(d) | RData::Https(d) | RData::Unknown { data: d, .. } => generic(f, d),
        }
    }
}

impl fmt::Display for Record {
    /// `owner TTL class type rdata`, tab-separated like dig.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\t{}\t{}\t{}\t{}", self.owner, self.ttl, self.class, self.rtype(), self.data)
    }
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, ";{}\t\t{}\t{}", self.name, self.qclass, self.qtype)
    }
}

impl fmt::Display for ExtendedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if !self.text.is_empty() {
            write!(f, " ({})", self.text)?;
        }
        Ok(())
    }
}

impl fmt::Display for Message {
    /// The header, EDNS and sections in dig's layout; every line but the
    /// records is a `;` comment, so the output reads back as zone text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = &self.header;
        writeln!(f, ";; ->>HEADER<<- opcode: {}, status: {}, id: {}", h.opcode, h.rcode, h.id)?;
        let fl = h.flags;
        let names =
            [(fl.qr, "qr"), (fl.aa, "aa"), (fl.tc, "tc"), (fl.rd, "rd"), (fl.ra, "ra"), (fl.ad, "ad"), (fl.cd, "cd")];
        let set: Vec<&str> = names.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
        writeln!(
            f,
            ";; flags: {}; QUERY: {}, ANSWER: {}, AUTHORITY: {}, ADDITIONAL: {}",
            set.join(" "),
            self.questions.len(),
            self.answers.len(),
            self.authority.len(),
            self.additional.len() + usize::from(self.edns.is_some())
        )?;
        if let Some(e) = &self.edns {
            writeln!(f, "\n;; OPT PSEUDOSECTION:")?;
            writeln!(
                f,
                "; EDNS: version: {}, flags:{}; udp: {}",
                e.version,
                if e.dnssec_ok { " do" } else { "" },
                e.udp_size
            )?;
            for o in &e.options {
                match o {
                    EdnsOption::Ede(x) => writeln!(f, "; EDE: {x}")?,
                    EdnsOption::Cookie { client, server } => {
                        writeln!(f, "; COOKIE: {}{}", hex_encode(client), hex_encode(server))?
                    }
                    EdnsOption::Padding(n) => writeln!(f, "; PAD: ({n} bytes)")?,
                    EdnsOption::Other { code, data } => writeln!(f, "; OPT={code}: {}", hex_encode(data))?,
                }
            }
        }
        writeln!(f, "\n;; QUESTION SECTION:")?;
        for q in &self.questions {
            writeln!(f, "{q}")?;
        }
        for (title, rrs) in
            [("ANSWER", &self.answers), ("AUTHORITY", &self.authority), ("ADDITIONAL", &self.additional)]
        {
            if rrs.is_empty() {
                continue;
            }
            writeln!(f, "\n;; {title} SECTION:")?;
            for rr in rrs {
                writeln!(f, "{rr}")?;
            }
        }
        Ok(())
    }
}
