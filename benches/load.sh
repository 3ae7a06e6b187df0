#!/usr/bin/env bash
# Load test (loopback only): candor serve over the lab with a small cache
# budget, then
#   1. NAMES distinct signed names of bench.test. resolved (half A, half
#      TXT, which the names lack: NODATA with its NSEC proof), sampling the
#      accounted cache bytes (`candor control stats`) and the process RSS
#      every two seconds: the bytes must stay within the budget, the RSS
#      level off;
#   2. SLOW slow TCP clients from distinct 127.x sources, each sending one
#      octet of a length prefix and nothing more, while normal questions
#      are timed over UDP and TCP.
# Usage: bash benches/load.sh   (NAMES=200000 MEMORY=16M SLOW=1000 RATE=20000)
set -euo pipefail
cd "$(dirname "$0")/.."
NAMES="${NAMES:-200000}"
MEMORY="${MEMORY:-16M}"
SLOW="${SLOW:-1000}"
RATE="${RATE:-20000}"
command -v dnsperf >/dev/null || { echo "needs dnsperf (apt-get install dnsperf)" >&2; exit 1; }
ulimit -n 8192
cargo build --release -q
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

target/release/candor lab --out "$work/lab" --bench-names "$NAMES" --block 127.55.0.0 --port 5399 --serve \
  >"$work/lab.log" &
pids+=($!)
until grep -q "candor lab: serving" "$work/lab.log"; do
  kill -0 "${pids[0]}" 2>/dev/null || { echo "the lab exited: $(cat "$work/lab.log")" >&2; exit 1; }
  sleep 1
done
printf 'cache-memory = "%s"\n' "$MEMORY" > "$work/candor.toml"
target/release/candor serve --config "$work/candor.toml" --listen 127.0.0.1:5390 \
  --root-hints "$work/lab/root.hints" --trust-anchor "$work/lab/root.key" --authority-port 5399 \
  --outbound-allow 127.0.0.0/8 --allow 127.0.0.0/8 --workers 2 --no-rfc5011 \
  --control "$work/c.sock" --log-level error &
serve=$!
pids+=($serve)
until dig +short +time=1 +tries=1 @127.0.0.1 -p 5390 valid.test. A | grep -q 192.0.2.1; do sleep 0.5; done

stat() { target/release/candor control --socket "$work/c.sock" stats | awk -v k="$1" '$1 == k {print $2}'; }
rss() { awk '/VmRSS/ {print $2 * 1024}' "/proc/$serve/status"; }
budget=$(stat cache-budget)
echo "budget $budget octets (cache-memory = $MEMORY)"
printf 'seconds\tcache-bytes\tentries\tevictions\trss\n' > "$work/samples.tsv"
sampler() {
  local t=0
  while true; do
    printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$(stat cache-bytes)" "$(stat cache-entries)" "$(stat cache-evictions)" "$(rss)" \
      >> "$work/samples.tsv"
    sleep 2; t=$((t + 2))
  done
}
sampler &
pids+=($!)

# 1. Distinct names.
for i in $(seq 0 $((NAMES - 1))); do
  if [ $((i % 2)) = 0 ]; then printf 'n%06d.bench.test. A\n' "$i"; else printf 'n%06d.bench.test. TXT\n' "$i"; fi
done > "$work/names.txt"
dnsperf -s 127.0.0.1 -p 5390 -d "$work/names.txt" -n 1 -c 20 -q 200 -Q "$RATE" -t 5 2>&1 \
  | grep -E "Queries (sent|completed|lost)|Queries per second|Response codes" | sed 's/^ */  /'
sleep 3
kill "${pids[-1]}"; unset 'pids[-1]'
column -t "$work/samples.tsv"
awk -v b="$budget" 'NR > 1 { if ($2 > max) max = $2; if ($5 > rmax) rmax = $5; last = $5; if (NR == 2) first = $5 }
  END { printf "max accounted %d of %d octets (%s); RSS first %.0f MiB, max %.0f MiB, last %.0f MiB\n",
        max, b, (max <= b ? "within" : "OVER"), first / 1048576, rmax / 1048576, last / 1048576 }' "$work/samples.tsv"

# 2. Slow TCP clients, and normal questions beside them.
python3 - "$SLOW" <<'PY' &
import socket, sys, time
n = int(sys.argv[1])
held = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((f"127.66.{i // 250}.{i % 250 + 1}", 0))
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", 5390))
    except BlockingIOError:
        pass
    held.append(s)
time.sleep(0.5)
for s in held:
    try:
        s.send(b"\x00")  # half a length prefix, then nothing
    except OSError:
        pass
time.sleep(30)
PY
slow=$!
pids+=($slow)
sleep 2
worst_udp=0; worst_tcp=0; failed_tcp=0
for i in $(seq 1 20); do
  ms=$(dig +time=1 +tries=1 @127.0.0.1 -p 5390 "n$(printf %06d "$i").bench.test." A | awk '/Query time/ {print $4}')
  [ -n "$ms" ] && [ "$ms" -gt "$worst_udp" ] && worst_udp=$ms
  out=$(dig +tcp +time=1 +tries=1 @127.0.0.1 -p 5390 "n$(printf %06d "$i").bench.test." A || true)
  ms=$(echo "$out" | awk '/Query time/ {print $4}')
  if [ -z "$ms" ]; then failed_tcp=$((failed_tcp + 1)); elif [ "$ms" -gt "$worst_tcp" ]; then worst_tcp=$ms; fi
  sleep 0.2
done
echo "with $SLOW slow TCP clients: slowest of 20 UDP questions ${worst_udp} ms; of 20 TCP questions ${worst_tcp} ms, ${failed_tcp} not answered"
echo "RSS now $(( $(rss) / 1048576 )) MiB"
