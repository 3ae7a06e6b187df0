//! `candor replay FILE...`: play Unbound (testbound) and Deckard `.rpl`
//! scenarios against the real resolver and the real response shaping,
//! one line per scenario (`PASS`, `FAIL: why`, `UNSUPPORTED: what`), then
//! the totals. The dialect comes from the directory (`deckard/` or not).

use std::future::Future;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::pin::Pin;

use candor_replay::{Dialect, Outcome, SimClock, SimNet, Tier};
use candor_resolver::{Prefix, Resolver};

use crate::ReplayArgs;
use candor_server::{Acl, handle};

/// The dialect of a scenario file, from its directory.
pub fn dialect_of(path: &Path) -> Dialect {
    if path.components().any(|c| c.as_os_str() == "deckard") { Dialect::Deckard } else { Dialect::Unbound }
}

/// Every client may ask: the scenarios' clients are on loopback, some elsewhere.
static EVERYONE: std::sync::LazyLock<Acl> = std::sync::LazyLock::new(|| {
    Acl::new(["0.0.0.0/0", "::/0"].iter().filter_map(|p| p.parse::<Prefix>().ok()).collect())
});

/// A client query through the real serving path, over UDP or TCP.
fn answer<'a>(
    r: &'a Resolver<SimNet, SimClock>,
    q: &'a [u8],
    tcp: bool,
) -> Pin<Box<dyn Future<Output = Option<Vec<u8>>> + Send + 'a>> {
    Box::pin(handle(r, q, IpAddr::V4(Ipv4Addr::LOCALHOST), &EVERYONE, !tcp))
}

/// Play one scenario file, compared at `tier`.
pub async fn play(path: &Path, tier: Tier) -> Outcome {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return Outcome::Fail(format!("cannot read: {e}")),
    };
    let sc = match candor_replay::parse(&text, dialect_of(path)) {
        Ok(s) => s,
        Err(e) => return Outcome::Fail(format!("does not parse: {e}")),
    };
    candor_replay::run(&sc, &answer, tier).await
}

pub(crate) fn run(args: &ReplayArgs) -> u8 {
    // The resolver's own log, when asked for (CANDOR_LOG=debug).
    crate::init_logging(&std::env::var("CANDOR_LOG").unwrap_or_else(|_| "off".to_owned()), false);
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("candor replay: cannot start the runtime: {e}");
            return 1;
        }
    };
    let (mut pass, mut fail, mut skip) = (0, 0, 0);
    let mut out = std::io::stdout().lock();
    for f in &args.files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tier = if args.lenient { Tier::Lenient } else { Tier::Recommended };
        let line = match rt.block_on(play(f, tier)) {
            Outcome::Pass => {
                pass += 1;
                format!("{name}: PASS")
            }
            Outcome::Fail(why) => {
                fail += 1;
                format!("{name}: FAIL: {why}")
            }
            Outcome::Unsupported(what) => {
                skip += 1;
                format!("{name}: UNSUPPORTED: {what}")
            }
        };
        // A closed pipe (`| head`) ends the run quietly.
        if writeln!(out, "{line}").is_err() {
            return u8::from(fail > 0);
        }
    }
    let _ = writeln!(out, "{pass} passed, {fail} failed, {skip} skipped");
    u8::from(fail > 0)
}
