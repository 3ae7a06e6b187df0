//! Any bytes: parsing never panics; whatever parses writes, and what is
//! written parses back to the same message.
#![no_main]

use candor_wire::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = Message::from_wire(data) {
        if let Ok(wire) = msg.to_wire() {
            let again = Message::from_wire(&wire).expect("our own output parses");
            assert_eq!(again, msg, "parse -> write -> parse is the identity");
        }
        let _ = msg.to_string();
    }
});
