#!/usr/bin/env bash
# What the attack families of the lab cost a resolver (loopback only): for
# each family, a resolver started cold is sent BURST distinct names under
# the attack zone, PARALLEL at a time (dnsperf), and the CPU seconds its
# process spent on the burst are read from /proc (the run time of each of
# its threads in nanoseconds, /proc/PID/task/*/schedstat: utime + stime
# come in ticks of 10 ms, too coarse for bursts of a few ticks). The
# families (crates/lab/src/attack.rs): KeyTrap (128 keys share a tag, 8
# bogus RRSIGs per answer), a flood of 150 bogus RRSIGs per answer, NSEC3
# with 150 iterations and a 255-octet salt under a 100-label name, a
# 30-link CNAME chain alternating between two zones. Also a normal
# question's latency right after each burst.
# With unbound installed, Unbound is measured on the same bursts (the lab
# listens on port 53 then: Unbound iterates to port 53 only; needs root).
# BASE=path/to/candor adds that build of candor (an A/B in one sitting).
# Usage: sudo bash benches/attack.sh   (BURST=200 PARALLEL=20 ROUNDS=3 UNBOUND=1)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/unbound-conf.sh
BURST="${BURST:-200}"
PARALLEL="${PARALLEL:-20}"
ROUNDS="${ROUNDS:-3}"
UNBOUND="${UNBOUND:-1}"
BASE="${BASE:-}"
command -v dnsperf >/dev/null || { echo "needs dnsperf (apt-get install dnsperf)" >&2; exit 1; }
command -v unbound >/dev/null || UNBOUND=0
cargo build --release -q
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

target/release/candor lab --out "$work/lab" --block 127.56.0.0 --port 53 --serve >"$work/lab.log" &
pids+=($!)
until grep -q "candor lab: serving" "$work/lab.log"; do
  kill -0 "${pids[0]}" 2>/dev/null || { echo "the lab exited: $(cat "$work/lab.log")" >&2; exit 1; }
  sleep 1
done

deep=$(printf '.a%.0s' $(seq 1 97))
names() { # family -> BURST names, one per line
  for i in $(seq 1 "$BURST"); do
    case "$1" in
      keytrap) echo "n$i.attack-keytrap.test. A" ;;
      sigflood) echo "n$i.attack-sigflood.test. A" ;;
      nsec3) echo "n$i$deep.attack-nsec3.test. A" ;;
      cname) echo "n$i.attack-cname-a.test. A" ;;
    esac
  done
}
cpu() { cat /proc/"$1"/task/*/schedstat | awk '{ns += $1} END {printf "%.3f", ns / 1e9}'; } # threads live as long as the process
ready() { until dig +short +time=1 +tries=1 @127.0.0.1 -p "$1" valid.test. A | grep -q 192.0.2.1; do sleep 0.2; done; }

start_candor() { # [binary] [port]
  "${1:-target/release/candor}" serve --listen "127.0.0.1:${2:-5310}" --root-hints "$work/lab/root.hints" \
    --trust-anchor "$work/lab/root.key" --outbound-allow 127.0.0.0/8 --workers 1 \
    --no-rfc5011 --log-level error --control "$work/control-${2:-5310}.sock" >/dev/null 2>&1 &
  echo $!
}
start_base() { start_candor "$BASE" 5312; }
start_unbound() {
  unbound_conf "$work/unbound.conf" "$work" 5311 1 "$work/lab"
  unbound -d -c "$work/unbound.conf" >/dev/null 2>&1 &
  echo $!
}

burst() { # resolver port family -> "cpu-seconds latency-ms"
  local name=$1 port=$2 family=$3 pid
  pid=$("start_$name")
  pids+=("$pid")
  ready "$port"
  names "$family" > "$work/burst.txt"
  local before after
  before=$(cpu "$pid")
  dnsperf -s 127.0.0.1 -p "$port" -d "$work/burst.txt" -n 1 -c "$PARALLEL" -q "$PARALLEL" -t 10 >/dev/null 2>&1
  after=$(cpu "$pid")
  local ms
  ms=$(dig +time=2 +tries=1 @127.0.0.1 -p "$port" www.valid-15.test. A | awk '/Query time:/ {print $4}')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(printf '%.3f' "$(echo "$after - $before" | bc -l)") ${ms:-timeout}"
}

resolvers=(candor)
[ -n "$BASE" ] && resolvers+=(base)
[ "$UNBOUND" = 1 ] && resolvers+=(unbound)
printf '%-10s %-8s %s\n' family resolver "cpu-s per burst (rounds) / ms for a normal question after it"
for family in keytrap sigflood nsec3 cname; do
  for r in "${resolvers[@]}"; do
    case "$r" in candor) port=5310 ;; unbound) port=5311 ;; base) port=5312 ;; esac
    line=""
    for _ in $(seq 1 "$ROUNDS"); do line="$line $(burst "$r" "$port" "$family" | tr ' ' /)"; done
    printf '%-10s %-8s %s\n' "$family" "$r" "$line"
  done
done
echo "(burst: $BURST distinct names, $PARALLEL in parallel, a cold resolver per burst, one worker/thread)"
