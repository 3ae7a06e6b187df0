#!/usr/bin/env bash
# candor beside Unbound, measured with dnsperf in the same run on the lab
# (loopback only). Two figures per resolver:
#   cached QPS: one name asked over and over (answers from the cache);
#   validation QPS: NAMES distinct, explicitly signed names of the lab's
#   bench.test. zone, each asked once, so each answer needs a fresh
#   signature check (no wildcard: aggressive NSEC cannot shortcut them).
# Both resolvers get the same number of threads. The lab listens on port 53
# (Unbound iterates to port 53 only), so this needs root.
# Usage: sudo bash benches/dnsperf.sh   (THREADS=2 NAMES=200000 SECONDS_CACHED=10; half the names to each resolver)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS="${THREADS:-2}"
NAMES="${NAMES:-200000}"
SECONDS_CACHED="${SECONDS_CACHED:-10}"
if ! command -v dnsperf >/dev/null || ! command -v unbound >/dev/null; then
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsperf unbound >/dev/null
fi
cargo build --release -q
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

target/release/candor lab --out "$work/lab" --bench-names "$NAMES" --block 127.53.0.0 --port 53 --serve >"$work/lab.log" &
pids+=($!)
# Wait for every zone to be served (the lab says so once all its listeners are up).
until grep -q "candor lab: serving" "$work/lab.log"; do
  kill -0 "${pids[0]}" 2>/dev/null || { echo "the lab exited: $(cat "$work/lab.log")" >&2; exit 1; }
  sleep 1
done

target/release/candor serve --listen 127.0.0.1:5300 --root-hints "$work/lab/root.hints" \
  --trust-anchor "$work/lab/root.key" --outbound-allow 127.0.0.0/8 --workers "$THREADS" \
  --no-rfc5011 --control "$work/candor.sock" --log-level error &
pids+=($!)

cat > "$work/unbound.conf" <<CONF
server:
  interface: 127.0.0.1@5301
  num-threads: $THREADS
  so-reuseport: yes
  do-not-query-localhost: no
  aggressive-nsec: no
  # test. is an RFC 6761 name Unbound answers locally by default.
  local-zone: "test." nodefault
  root-hints: "$work/lab/root.hints"
  trust-anchor-file: "$work/lab/root.key"
  chroot: ""
  username: ""
  directory: "$work"
  pidfile: "$work/unbound.pid"
  access-control: 127.0.0.0/8 allow
  msg-cache-size: 256m
  rrset-cache-size: 512m
  use-syslog: no
  verbosity: 0
remote-control:
  control-enable: no
CONF
unbound -d -c "$work/unbound.conf" &
pids+=($!)
for port in 5300 5301; do
  tries=0
  until dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" valid.test. A | grep -q 192.0.2.1; do
    tries=$((tries + 1)); [ "$tries" -lt 60 ] || { echo "resolver on port $port never answered valid.test." >&2; exit 1; }; sleep 0.5
  done
done

echo "valid.test. A" > "$work/cached.txt"
for i in $(seq 0 $((NAMES - 1))); do printf 'n%06d.bench.test. A\n' "$i"; done > "$work/names.txt"
half=$((NAMES / 2))
head -n "$half" "$work/names.txt" > "$work/names.candor"
tail -n +"$((half + 1))" "$work/names.txt" > "$work/names.unbound"

qps() { dnsperf -s 127.0.0.1 -p "$1" -d "$2" "${@:3}" 2>&1 | awk '/Queries per second:/ {print $4}'; }
# Each resolver validates its own half of the names (distinct for both, so
# neither benefits from the other having asked).
c_cached=$(qps 5300 "$work/cached.txt" -l "$SECONDS_CACHED" -c 8 -Q 200000)
u_cached=$(qps 5301 "$work/cached.txt" -l "$SECONDS_CACHED" -c 8 -Q 200000)
c_valid=$(qps 5300 "$work/names.candor" -n 1 -c 8 -q 200 -t 10)
u_valid=$(qps 5301 "$work/names.unbound" -n 1 -c 8 -q 200 -t 10)
printf '%-24s %12s %12s %7s\n' measure candor unbound ratio
printf '%-24s %12.0f %12.0f %7.2f\n' "cached QPS" "$c_cached" "$u_cached" "$(echo "$c_cached / $u_cached" | bc -l)"
printf '%-24s %12.0f %12.0f %7.2f\n' "validation QPS" "$c_valid" "$u_valid" "$(echo "$c_valid / $u_valid" | bc -l)"
echo "(threads: $THREADS each; validation: $half distinct signed names each)"
