#!/usr/bin/env bash
# Memory per cached name, candor beside Unbound with the same cache limits
# (loopback only): the lab serves one Ed25519 benchmark zone of NAMES names
# (`candor lab --bench-zones bench15`) on port 53 of 127.61.0.0/24
# (Unbound only iterates to port 53: needs root); each resolver, started
# cold with one worker, is asked every name once (`candor bench --server`,
# workload signed-alg15), then its resident set (VmRSS, VmHWM from /proc)
# and its caches' own accounting are read: candor's control socket
# (`stats`: cache-bytes, cache-rrsets, cache-rrset-bytes), Unbound's
# unbound-control (mem.cache.rrset, mem.cache.message, rrset.cache.count).
# Both get CACHE_MB of cache in all: candor `cache-memory`, Unbound a third
# for messages and two thirds for RRsets (its default proportion).
# BASE=path/to/candor adds that build of candor (an A/B in one sitting);
# RESOLVERS picks which run (default "candor unbound", with BASE "base
# candor unbound").
# Usage: sudo bash benches/memory.sh   (NAMES=1000000 CACHE_MB=1536 CONCURRENCY=50)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/unbound-conf.sh
NAMES="${NAMES:-1000000}"
CACHE_MB="${CACHE_MB:-1536}"
CONCURRENCY="${CONCURRENCY:-50}"
BASE="${BASE:-}"
RESOLVERS="${RESOLVERS:-${BASE:+base }candor unbound}"
command -v unbound-control >/dev/null || { echo "needs unbound (apt-get install unbound)" >&2; exit 1; }
cargo build --release -q
work=$(mktemp -d)
pids=()
pid=""
cleanup() { kill "${pids[@]}" $pid 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "building and serving a lab with $NAMES signed names..."
target/release/candor lab --out "$work/lab" --bench-names "$NAMES" --bench-zones bench15 --block 127.61.0.0 --port 53 \
  --serve >"$work/lab.log" 2>&1 &
pids+=($!)
until grep -q "candor lab: serving" "$work/lab.log"; do
  kill -0 "${pids[0]}" 2>/dev/null || { echo "the lab exited: $(cat "$work/lab.log")" >&2; exit 1; }
  sleep 1
done

kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
port=5330
for r in $RESOLVERS; do
  case "$r" in
    candor | base)
      bin=target/release/candor
      [ "$r" = base ] && bin="$BASE"
      cat > "$work/candor.toml" <<CONF
cache-memory = "${CACHE_MB}M"
cache-size = $((NAMES * 4))
CONF
      rm -f "$work/control.sock"
      taskset -c 0 "$bin" serve --config "$work/candor.toml" --listen "127.0.0.1:$port" \
        --root-hints "$work/lab/root.hints" --trust-anchor "$work/lab/root.key" --outbound-allow 127.0.0.0/8 \
        --workers 1 --no-rfc5011 --log-level error --control "$work/control.sock" >"$work/candor.log" 2>&1 &
      ;;
    unbound)
      unbound_conf "$work/unbound.conf" "$work" "$port" 1 "$work/lab" "$work/unbound.ctl"
      sed -i "s/msg-cache-size: .*/msg-cache-size: $((CACHE_MB / 3))m/; s/rrset-cache-size: .*/rrset-cache-size: $((CACHE_MB * 2 / 3))m/" \
        "$work/unbound.conf"
      taskset -c 0 unbound -d -c "$work/unbound.conf" >"$work/unbound.log" 2>&1 &
      ;;
  esac
  pid=$!
  # Started: the root's keys and test.'s delegation fetched, as for any name.
  for _ in $(seq 1 50); do
    dig +time=1 +tries=1 -p "$port" @127.0.0.1 valid.test. A 2>/dev/null | grep -q "status: NOERROR" && break
    sleep 0.2
  done
  before=$(kib "$pid" VmRSS)
  t0=$(date +%s)
  taskset -c 1 target/release/candor bench --server "127.0.0.1:$port" --no-lab --names "$NAMES" \
    --workloads signed-alg15 --duration 3600 --concurrency "$CONCURRENCY" >"$work/$r-bench.txt"
  secs=$(( $(date +%s) - t0 ))
  after=$(kib "$pid" VmRSS); hwm=$(kib "$pid" VmHWM)
  answered=$(awk '$1 == "signed-alg15" {print $2}' "$work/$r-bench.txt")
  case "$r" in
    candor | base)
      stats=$(target/release/candor control --socket "$work/control.sock" stats)
      st() { echo "$stats" | awk -v k="$1" '$1 == k {print $2}'; }
      # RRsets held: the answers (each one RRset here) and the RRsets kept
      # apart (the base may not count them: its RRsets copy its answers).
      cache=$(st cache-bytes); rrsets=$(( $(st cache-entries) + $(st cache-rrsets || true) + 0 ))
      evicted=$(st cache-evictions)
      ;;
    unbound)
      stats=$(unbound-control -c "$work/unbound.conf" stats_noreset)
      st() { echo "$stats" | awk -F= -v k="$1" '$1 == k {print $2}'; }
      cache=$(( $(st mem.cache.rrset) + $(st mem.cache.message) ))
      rrsets=$(st rrset.cache.count); evicted="-"
      ;;
  esac
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  rss_per=$(( (after - before) * 1024 / answered ))
  printf '%-8s %9s names in %5s s | RSS %7s -> %7s KiB (peak %7s): %5s B/name | cache %11s B: %5s B/name | %8s RRsets held, %4s B each | evicted %s\n' \
    "$r" "$answered" "$secs" "$before" "$after" "$hwm" "$rss_per" "$cache" "$((cache / answered))" "$rrsets" \
    "$((cache / (rrsets > 0 ? rrsets : 1)))" "$evicted"
done
echo
echo "(one worker each, ${CACHE_MB} MB of cache each, every name of an Ed25519 zone asked once, $CONCURRENCY at a time;"
echo " cache: the resolver's own count of its caches' bytes, all of them, per name and per RRset held)"
