//! Any text: zone parsing never panics; whatever parses prints, and the
//! printout parses back to the same records.
#![no_main]

use candor_wire::Name;
use candor_wire::text::parse_zone;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let origin: Name = "example.".parse().expect("origin");
    if let Ok(records) = parse_zone(text, Some(&origin)) {
        let printed: String = records.iter().map(|r| format!("{r}\n")).collect();
        let again = parse_zone(&printed, None).expect("our own printout parses");
        assert_eq!(again, records, "print -> parse is the identity");
    }
});
