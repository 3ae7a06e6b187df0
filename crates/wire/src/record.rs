//! Resource records and questions.

use crate::error::{WireError, WriteError};
use crate::name::Name;
use crate::rdata::{Form, RData};
use crate::reader::Reader;
use crate::types::{Class, RType};
use crate::writer::Writer;

/// A question: name, type, class.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question {
    /// The name asked about.
    pub name: Name,
    /// The type asked for.
    pub qtype: RType,
    /// The class (IN).
    pub qclass: Class,
}

impl Question {
    /// A question in class IN.
    pub fn new(name: Name, qtype: RType) -> Question {
        Question { name, qtype, qclass: Class::IN }
    }

    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Question, WireError> {
        Ok(Question { name: r.name()?, qtype: RType(r.u16("question type")?), qclass: Class(r.u16("question class")?) })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.name(&self.name, true);
        w.u16(self.qtype.0);
        w.u16(self.qclass.0);
    }
}

/// A resource record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// Owner name.
    pub owner: Name,
    /// Class.
    pub class: Class,
    /// TTL as received (RFC 2181 §8 says to treat values over 2^31-1 as 0;
    /// that is the cache's business).
    pub ttl: u32,
    /// Data; its type is the record's type.
    pub data: RData,
}

impl Record {
    /// A record in class IN.
    pub fn new(owner: Name, ttl: u32, data: RData) -> Record {
        Record { owner, class: Class::IN, ttl, data }
    }

    /// The record's type.
    pub fn rtype(&self) -> RType {
        self.data.rtype()
    }

    /// Append owner, type, class, TTL, RDLENGTH and rdata.
    pub fn write(&self, w: &mut Writer, form: Form) -> Result<(), WriteError> {
        w.name(&self.owner, form == Form::Message);
        w.u16(self.rtype().0);
        w.u16(self.class.0);
        w.u32(self.ttl);
        let len_at = w.len();
        w.u16(0);
        self.data.write(w, form);
        let rdlen = w.len() - len_at - 2;
        w.patch_u16(len_at, u16::try_from(rdlen).map_err(|_| WriteError::TooLong("rdata"))?);
        Ok(())
    }
}

/// Sort records into canonical RRset order (RFC 4034 §6.3): by their
/// canonical rdata as unsigned octet strings; duplicates are removed.
pub fn canonical_order(records: &mut Vec<Record>) {
    let mut keyed: Vec<(Vec<u8>, Record)> = records.drain(..).map(|r| (r.data.to_canonical(), r)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    records.extend(keyed.into_iter().map(|(_, r)| r));
}
