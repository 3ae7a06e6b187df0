#!/usr/bin/env bash
# `candor bench`'s workloads against candor and Unbound on the same lab
# (loopback only): the lab (`candor lab --serve --bench-all`) on port 53 of
# 127.61.0.0/24 (Unbound only iterates to port 53: needs root), each
# resolver started cold per round with one worker pinned to core 0, the
# load generator (`candor bench --server --no-lab`) on core 1; ROUNDS
# interleaved rounds, then the median answers/s per workload and the ratio.
# Usage: sudo bash benches/bench.sh   (ROUNDS=3 NAMES=10000 DURATION=3 WORKLOADS=all)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/unbound-conf.sh
ROUNDS="${ROUNDS:-3}"
NAMES="${NAMES:-10000}"
DURATION="${DURATION:-3}"
WORKLOADS="${WORKLOADS:-all}"
command -v unbound >/dev/null || { echo "needs unbound (apt-get install unbound)" >&2; exit 1; }
cargo build --release -q
work=$(mktemp -d)
pids=()
pid=""
cleanup() { kill "${pids[@]}" $pid 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

target/release/candor lab --out "$work/lab" --bench-names "$NAMES" --bench-all --block 127.61.0.0 --port 53 --serve \
  >"$work/lab.log" &
pids+=($!)
until grep -q "candor lab: serving" "$work/lab.log"; do
  kill -0 "${pids[0]}" 2>/dev/null || { echo "the lab exited: $(cat "$work/lab.log")" >&2; exit 1; }
  sleep 1
done
wl=()
[ "$WORKLOADS" = all ] || wl=(--workloads "$WORKLOADS")

start() { # name port -> pid
  case "$1" in
    candor)
      taskset -c 0 target/release/candor serve --listen "127.0.0.1:$2" --root-hints "$work/lab/root.hints" \
        --trust-anchor "$work/lab/root.key" --outbound-allow 127.0.0.0/8 --workers 1 --no-rfc5011 \
        --log-level error --control "$work/control.sock" >/dev/null 2>&1 &
      ;;
    unbound)
      unbound_conf "$work/unbound.conf" "$work" "$2" 1 "$work/lab"
      taskset -c 0 unbound -d -c "$work/unbound.conf" >/dev/null 2>&1 &
      ;;
  esac
  echo $!
}

declare -A qps
for round in $(seq 1 "$ROUNDS"); do
  for r in candor unbound; do
    port=5320
    pid=$(start "$r" "$port")
    ctl=()
    [ "$r" = candor ] && ctl=(--server-control "$work/control.sock")
    echo "== round $round: $r"
    taskset -c 1 target/release/candor bench --server "127.0.0.1:$port" --server-pid "$pid" "${ctl[@]}" --no-lab \
      --names "$NAMES" --duration "$DURATION" "${wl[@]}" --report "$work/$r-$round.svg" | tee "$work/$r-$round.txt" || true
    kill "$pid"; wait "$pid" 2>/dev/null || true
    while read -r w _ _ q _; do qps[$r,$w]="${qps[$r,$w]:-} $q"; done \
      < <(awk '/^workload /{t=1; next} t && NF > 8 {print}' "$work/$r-$round.txt")
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
printf '%-16s %12s %12s %8s\n' workload candor unbound ratio
for w in $(awk '/^workload /{t=1; next} t && NF > 8 {print $1}' "$work/candor-1.txt"); do
  c=$(echo "${qps[candor,$w]}" | median); u=$(echo "${qps[unbound,$w]}" | median)
  ratio=-
  [ "${u%.*}" -gt 0 ] 2>/dev/null && ratio=$(printf '%.2f' "$(echo "$c / $u" | bc -l)")
  printf '%-16s %12.0f %12.0f %8s\n' "$w" "$c" "$u" "$ratio"
done
echo "(answers/s, medians of $ROUNDS interleaved cold rounds; $NAMES names, ${DURATION} s per workload)"
