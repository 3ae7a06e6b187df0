//! Ready configurations of other resolvers over the lab (`candor lab --out
//! DIR` writes them under `DIR/resolvers/`): Unbound, BIND named, Knot
//! Resolver and PowerDNS Recursor (the Debian 12 versions), each listening
//! on one given loopback address, validating from the lab's trust anchor,
//! iterating from the lab's root hints, and allowed to query loopback. With
//! them, the allow-files of each one's known policy differences from the
//! catalogue, for `candor lab check --allow`.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;

use crate::LabError;
use crate::build::Lab;

const NSEC3_150: &str = "caps NSEC3 iterations at 150, candor at 50 (RFC 9276)";

/// Each resolver's known policy differences from the catalogue (which
/// follows candor's policy), as `candor lab check --compare verdict` sees
/// them with the configurations written here (Debian 12 versions,
/// measured): the allow-files `DIR/resolvers/<name>.allow`.
pub const DIFFERENCES: [(&str, &[(&str, &str)]); 4] = [
    (
        "named",
        &[
            ("rsasha1", "BIND 9.18 still validates RSASHA1 (algorithm 5); candor treats it as unsupported (RFC 9905)"),
            ("nsec3-iter-51", NSEC3_150),
            ("nsec3-iter-100", NSEC3_150),
            ("nsec3-iter-150", NSEC3_150),
            ("attack-nsec3", NSEC3_150),
            ("no-dnskey-257", "BIND 9.18 accepts the DS-matched key without the zone-key bit"),
        ],
    ),
    (
        "unbound",
        &[
            (
                "rsasha1",
                "Unbound 1.17 still validates RSASHA1 (algorithm 5); candor treats it as unsupported (RFC 9905)",
            ),
            ("nsec3-iter-51", NSEC3_150),
            ("nsec3-iter-100", NSEC3_150),
            ("nsec3-iter-150", NSEC3_150),
            ("attack-nsec3", NSEC3_150),
        ],
    ),
    ("kresd", &[("rsasha1", "Knot Resolver 5.6 still validates RSASHA1 (algorithm 5); candor does not (RFC 9905)")]),
    (
        "recursor",
        &[
            ("rsasha1", "PowerDNS Recursor 4.8 still validates RSASHA1 (algorithm 5); candor does not (RFC 9905)"),
            ("nsec3-iter-51", NSEC3_150),
            ("nsec3-iter-100", NSEC3_150),
            ("nsec3-iter-150", NSEC3_150),
            (
                "attack-nsec3",
                "PowerDNS Recursor 4.8 answers SERVFAIL for the 100-label name under a 150-iteration NSEC3 chain \
                 (observed), where candor answers insecure",
            ),
        ],
    ),
];

fn write(dir: &Path, name: &str, text: &str) -> Result<(), LabError> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| LabError::Write { path, kind: e.kind() })
}

/// The note every port-53-only resolver's file starts with.
fn port_53_note(lab: &Lab, comment: &str) -> String {
    let mut s = String::new();
    if lab.config.port != 53 {
        let _ = writeln!(
            s,
            "{comment} NOTE: this resolver queries authorities on port 53 only, and this lab was written for\n\
             {comment} port {}: serve it with `candor lab --out ... --port 53 --serve` (as root or with\n\
             {comment} CAP_NET_BIND_SERVICE) before pointing this resolver at it.",
            lab.config.port
        );
    } else {
        let _ = writeln!(
            s,
            "{comment} It queries authorities on port 53 only: the lab must be served on port 53\n\
             {comment} (`candor lab --serve --port 53`, as root or with CAP_NET_BIND_SERVICE)."
        );
    }
    s
}

/// Write `DIR/resolvers/`: `unbound.conf`, `named.conf`, `kresd.conf`,
/// `recursor.conf` with `recursor.lua`, and each one's allow-file of
/// known differences ([`DIFFERENCES`]), for resolvers listening on `listen`. `dir` is where the
/// lab's hints and anchors are (absolute paths are written).
pub fn write_resolver_configs(lab: &Lab, dir: &Path, listen: SocketAddr) -> Result<(), LabError> {
    let abs = std::path::absolute(dir).map_err(|e| LabError::Write { path: dir.to_owned(), kind: e.kind() })?;
    let out = abs.join("resolvers");
    std::fs::create_dir_all(&out).map_err(|e| LabError::Write { path: out.clone(), kind: e.kind() })?;
    let (d, r) = (abs.display().to_string(), out.display().to_string());
    let (addr, port, lab_port) = (listen.ip(), listen.port(), lab.config.port);
    let check = format!("candor lab check --server {listen} --lab {d}");

    let mut unbound = format!(
        "# Unbound 1.17 as a validating resolver over the candor lab in {d}.\n\
         # Start: unbound -d -c {r}/unbound.conf\n\
         # Check: {check} --compare verdict --allow {r}/unbound.allow\n"
    );
    unbound.push_str(&port_53_note(lab, "#"));
    let _ = write!(
        unbound,
        "server:\n\
         \tinterface: {addr}\n\
         \tport: {port}\n\
         \tdo-ip6: no\n\
         \taccess-control: 127.0.0.0/8 allow\n\
         \taccess-control: ::1 allow\n\
         \t# The lab's servers are on loopback addresses.\n\
         \tdo-not-query-localhost: no\n\
         \t# The lab's cases live under test., which Unbound serves empty by default.\n\
         \tlocal-zone: \"test.\" nodefault\n\
         \troot-hints: \"{d}/root.hints\"\n\
         \ttrust-anchor-file: \"{d}/root.key\"\n\
         \tmodule-config: \"validator iterator\"\n\
         \tqname-minimisation: no\n\
         \t# A re-signed or rebuilt lab is seen at once.\n\
         \tcache-max-ttl: 1\n\
         \tcache-max-negative-ttl: 1\n\
         \tede: yes\n\
         \tval-log-level: 2\n\
         \tchroot: \"\"\n\
         \tusername: \"\"\n\
         \tdirectory: \"{r}\"\n\
         \tpidfile: \"\"\n\
         \tuse-syslog: no\n\
         \tlogfile: \"\"\n"
    );
    write(&out, "unbound.conf", &unbound)?;

    // named's `port` is also the port it sends queries to: the lab's.
    let named = format!(
        "// BIND named 9.18 as a validating resolver over the candor lab in {d}.\n\
         // named asks the lab's servers on the lab's port ({lab_port}) and listens on {listen}.\n\
         // Start: named -g -4 -c {r}/named.conf   (as root, add -u root or another user\n\
         //        that can write {r})\n\
         // Check: {check} --compare verdict --allow {r}/named.allow\n\
         options {{\n\
         \tdirectory \"{r}\";\n\
         \tport {lab_port};\n\
         \tlisten-on port {port} {{ {addr}; }};\n\
         \tlisten-on-v6 {{ none; }};\n\
         \tpid-file none;\n\
         \trecursion yes;\n\
         \tallow-query {{ 127.0.0.0/8; ::1; }};\n\
         \tallow-recursion {{ 127.0.0.0/8; ::1; }};\n\
         \tdnssec-validation yes;\n\
         \tqname-minimization off;\n\
         \tmax-cache-ttl 1;\n\
         \tmax-ncache-ttl 1;\n\
         \ttrust-anchor-telemetry no;\n\
         }};\n\
         // No rndc channel: several named may run side by side.\n\
         controls {{ }};\n\
         zone \".\" {{ type hint; file \"{d}/root.hints\"; }};\n\
         include \"{d}/root.anchors.conf\";\n"
    );
    write(&out, "named.conf", &named)?;
    for (resolver, cases) in DIFFERENCES {
        let mut allow = format!(
            "# {resolver}'s policy differences from the catalogue (candor's policy), for\n\
             # candor lab check --compare verdict --allow {r}/{resolver}.allow\n"
        );
        for (case, why) in cases {
            let _ = writeln!(allow, "{case}\t{why}");
        }
        write(&out, &format!("{resolver}.allow"), &allow)?;
    }

    let mut kresd = format!(
        "-- Knot Resolver 5.6 as a validating resolver over the candor lab in {d}.\n\
         -- Start: kresd -n -c {r}/kresd.conf {r}/kresd   (its run directory, written here)\n\
         -- Check: {check} --compare verdict --allow {r}/kresd.allow\n"
    );
    kresd.push_str(&port_53_note(lab, "--"));
    let _ = write!(
        kresd,
        "net.ipv6 = false\n\
         net.listen('{addr}', {port}, {{ kind = 'dns' }})\n\
         modules = {{ 'hints > iterate' }}\n\
         hints.root_file('{d}/root.hints')\n\
         -- The lab's anchor instead of the built-in root key; read-only (no RFC 5011).\n\
         trust_anchors.remove('.')\n\
         trust_anchors.add_file('{d}/root.key', true)\n\
         -- The lab's cases live under test., which kresd refuses by default (RFC 6761).\n\
         policy.add(policy.suffix(policy.PASS, {{ todname('test.') }}))\n\
         -- The lab's servers are on loopback addresses, ignored as glue by default.\n\
         option('ALLOW_LOCAL', true)\n\
         option('NO_MINIMIZE', true)\n\
         cache.size = 10 * MB\n\
         cache.min_ttl(0)\n\
         cache.max_ttl(1)\n\
         cache.ns_tout(1000)\n"
    );
    write(&out, "kresd.conf", &kresd)?;
    // kresd's run directory (its cache and control socket).
    let run = out.join("kresd");
    std::fs::create_dir_all(&run).map_err(|e| LabError::Write { path: run, kind: e.kind() })?;

    let mut recursor = format!(
        "# PowerDNS Recursor 4.8 as a validating resolver over the candor lab in {d}.\n\
         # Start: pdns_recursor --config-dir={r} --socket-dir={r} --daemon=no\n\
         # Check: {check} --compare verdict --allow {r}/recursor.allow\n"
    );
    recursor.push_str(&port_53_note(lab, "#"));
    let _ = write!(
        recursor,
        "local-address={addr}\n\
         local-port={port}\n\
         allow-from=127.0.0.0/8, ::1/128\n\
         # The lab's servers are on loopback, which dont-query lists by default.\n\
         dont-query=\n\
         query-local-address=127.0.0.1\n\
         hint-file={d}/root.hints\n\
         dnssec=validate\n\
         lua-config-file={r}/recursor.lua\n\
         qname-minimization=no\n\
         max-cache-ttl=1\n\
         max-negative-ttl=1\n\
         packetcache-ttl=1\n\
         extended-resolution-errors=yes\n\
         # No security-status queries (they would go to the lab's root anyway).\n\
         security-poll-suffix=\n"
    );
    write(&out, "recursor.conf", &recursor)?;
    let mut lua = String::from("-- The candor lab's trust anchor instead of the root's.\nclearTA('.')\n");
    for ds in &lab.root_ds {
        let _ = writeln!(
            lua,
            "addTA('.', \"{} {} {} {}\")",
            ds.key_tag,
            ds.algorithm.0,
            ds.digest_type,
            candor_wire::text::hex_encode(&ds.digest)
        );
    }
    write(&out, "recursor.lua", &lua)
}
