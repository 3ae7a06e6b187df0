//! EDNS padding of responses (RFC 7830) by the block-length policy of RFC
//! 8467: on encrypted transports only, and only when the query was padded,
//! the response padded to a multiple of 468 octets.

use candor_wire::{EdnsOption, Message};

/// The block responses are padded to (RFC 8467 §4.1).
pub(crate) const BLOCK: usize = 468;

/// Was `query` (wire form) padded?
pub(crate) fn padded(query: &[u8]) -> bool {
    Message::from_wire(query)
        .ok()
        .and_then(|m| m.edns)
        .is_some_and(|e| e.options.iter().any(|o| matches!(o, EdnsOption::Padding(_))))
}

/// `reply` padded to a multiple of [`BLOCK`] octets when `query` was
/// padded and the reply has an OPT record; otherwise as it is. A reply
/// that would pass 65,535 octets padded is left as it is.
pub(crate) fn pad_reply(query: &[u8], reply: Vec<u8>) -> Vec<u8> {
    if !padded(query) {
        return reply;
    }
    let Ok(mut m) = Message::from_wire(&reply) else { return reply };
    let Some(edns) = m.edns.as_mut() else { return reply };
    edns.options.retain(|o| !matches!(o, EdnsOption::Padding(_)));
    let Ok(bare) = m.to_wire() else { return reply };
    // The option itself takes 4 octets (code, length).
    let len = bare.len() + 4;
    let pad = (BLOCK - len % BLOCK) % BLOCK;
    let Some(edns) = m.edns.as_mut() else { return reply };
    edns.options.push(EdnsOption::Padding(pad as u16));
    match m.to_wire() {
        Ok(w) if w.len() <= usize::from(u16::MAX) => w,
        _ => reply,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candor_wire::{Edns, Question, RType};

    fn query(pad: bool) -> Vec<u8> {
        let mut q = Message::query(1, Question::new("valid.test.".parse().unwrap(), RType::A));
        let mut e = Edns::default();
        if pad {
            e.options.push(EdnsOption::Padding(100));
        }
        q.edns = Some(e);
        q.to_wire().unwrap()
    }

    #[test]
    fn a_padded_query_gets_a_reply_padded_to_468_octet_blocks() {
        let reply = query(false);
        let padded = pad_reply(&query(true), reply.clone());
        assert_eq!(padded.len() % BLOCK, 0, "{}", padded.len());
        assert!(padded.len() > reply.len());
        // An unpadded query: the reply as it was.
        assert_eq!(pad_reply(&query(false), reply.clone()), reply);
        // A reply that already holds padding is padded once, to the block.
        let again = pad_reply(&query(true), padded.clone());
        assert_eq!(again.len(), padded.len());
    }
}
