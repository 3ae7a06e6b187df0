#!/usr/bin/env bash
# candor beside Unbound (and, with BASE=path, beside another candor binary
# for an A/B), measured with dnsperf on the lab (loopback only), at 1 and
# 2 workers/threads, ROUNDS interleaved rounds, every resolver started cold
# each round; prints each round and the medians with their ratios:
#   cached QPS: one name asked over and over (answers from the cache);
#   cookie QPS: the same with a client cookie in every query (dnsperf -E;
#   most stubs send one, and candor answers it with a server cookie;
#   Unbound 1.17 has no answer-cookie, 1.18 does: it ignores the option);
#   user/system µs: the resolver's CPU per cached query, read from /proc
#   around the cached run (on loopback the system part also carries the
#   client's receive path, for every resolver alike: it bounds the QPS
#   ratio, the user part is where resolvers differ);
#   validation QPS: distinct, explicitly signed names of the lab's
#   bench.test. zone, each asked once, so each answer needs one upstream
#   query and a fresh signature check (no wildcard: aggressive NSEC cannot
#   shortcut them). Every resolver gets its own slice of the names.
# With one worker the resolver is pinned to CPU 0 and dnsperf to CPU 1
# (taskset); with two nothing is pinned (2 cores: dnsperf shares them).
# The lab listens on port 53 (Unbound iterates to port 53 only): needs root.
# Then, unless ENCRYPTED=0, the cached workload over UDP, DNS over TLS and
# DNS over HTTPS (dnsperf -m udp|dot|doh, 8 connections), candor beside
# Unbound's DoT and DoH, one worker/thread each, pinned as above, with a
# self-signed P-256 certificate made for the run.
# Then the attack bursts (benches/attack.sh) unless ATTACKS=0.
# CANDOR_FLAGS and BASE_FLAGS add serve flags to candor and to the base
# ({work} is replaced by the run's scratch directory): the overhead of the
# metrics and the query log is BASE=target/release/candor (a copy) with
# CANDOR_FLAGS="--metrics-listen 127.0.0.1:9153 --query-log {work}/q.jsonl".
# Usage: sudo bash benches/dnsperf.sh   (ROUNDS=3 NAMES=240000 SECONDS_CACHED=10 WORKERS="1 2" BASE= ATTACKS=1 ENCRYPTED=1 CANDOR_FLAGS= BASE_FLAGS=)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/unbound-conf.sh
ROUNDS="${ROUNDS:-3}"
NAMES="${NAMES:-240000}"
SECONDS_CACHED="${SECONDS_CACHED:-10}"
WORKERS="${WORKERS:-1 2}"
BASE="${BASE:-}"
ATTACKS="${ATTACKS:-1}"
ENCRYPTED="${ENCRYPTED:-1}"
CANDOR_FLAGS="${CANDOR_FLAGS:-}"
BASE_FLAGS="${BASE_FLAGS:-}"
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
until grep -q "candor lab: serving" "$work/lab.log"; do
  kill -0 "${pids[0]}" 2>/dev/null || { echo "the lab exited: $(cat "$work/lab.log")" >&2; exit 1; }
  sleep 1
done

resolvers=(candor unbound)
[ -n "$BASE" ] && resolvers+=(base)
slices=$(( ROUNDS * 2 * ${#resolvers[@]} ))
per=$(( NAMES / slices ))
for i in $(seq 0 $((NAMES - 1))); do printf 'n%06d.bench.test. A\n' "$i"; done > "$work/names.txt"
echo "valid.test. A" > "$work/cached.txt"
slice=0
next_names() { # -> a file with the next unused slice of names
  slice=$((slice + 1))
  sed -n "$(( (slice - 1) * per + 1 )),$(( slice * per ))p" "$work/names.txt" > "$work/slice.txt"
  echo "$work/slice.txt"
}

start() { # name workers port -> pid
  local pin=""
  [ "$2" = 1 ] && pin="taskset -c 0"
  case "$1" in
    candor|base)
      local bin=target/release/candor flags="$CANDOR_FLAGS"
      [ "$1" = base ] && bin="$BASE" && flags="$BASE_FLAGS"
      flags="${flags//\{work\}/$work}"
      # shellcheck disable=SC2086 # the extra flags are words
      $pin "$bin" serve --listen "127.0.0.1:$3" --root-hints "$work/lab/root.hints" \
        --trust-anchor "$work/lab/root.key" --outbound-allow 127.0.0.0/8 --workers "$2" \
        --no-rfc5011 --log-level error --control "$work/control-$1.sock" $flags >/dev/null 2>&1 &
      ;;
    unbound)
      unbound_conf "$work/unbound.conf" "$work" "$3" "$2" "$work/lab"
      $pin unbound -d -c "$work/unbound.conf" >/dev/null 2>&1 &
      ;;
  esac
  echo $!
}

qps() { # workers port args... -> QPS
  local pin=""
  [ "$1" = 1 ] && pin="taskset -c 1"
  $pin dnsperf -s 127.0.0.1 -p "$2" "${@:3}" 2>&1 | awk '/Queries per second:/ {print $4}'
}

ticks() { awk '{print $14, $15}' "/proc/$1/stat"; } # user and system clock ticks (1/100 s)
per_query() { # ticks-before ticks-after qps seconds -> "user-µs system-µs"
  local b=($1) a=($2)
  echo "$(( (${a[0]} - ${b[0]}) * 10000 )) / ($3 * $4)" | bc -l | xargs printf '%.2f '
  echo "$(( (${a[1]} - ${b[1]}) * 10000 )) / ($3 * $4)" | bc -l | xargs printf '%.2f\n'
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A cached valid cookie user sys
for w in $WORKERS; do
  for round in $(seq 1 "$ROUNDS"); do
    for r in "${resolvers[@]}"; do
      port=5300
      pid=$(start "$r" "$w" "$port")
      pids+=("$pid") # killed on the way out too, or it would share the next round's port
      tries=0
      until dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" valid.test. A | grep -q 192.0.2.1; do
        tries=$((tries + 1)); [ "$tries" -lt 60 ] || { echo "$r never answered valid.test." >&2; exit 1; }; sleep 0.5
      done
      t0=$(ticks "$pid")
      c=$(qps "$w" "$port" -d "$work/cached.txt" -l "$SECONDS_CACHED" -c 8 -Q 500000)
      read -r us sy < <(per_query "$t0" "$(ticks "$pid")" "$c" "$SECONDS_CACHED")
      k=$(qps "$w" "$port" -d "$work/cached.txt" -l "$SECONDS_CACHED" -c 8 -Q 500000 -E 10:0102030405060708)
      v=$(qps "$w" "$port" -d "$(next_names)" -n 1 -c 8 -q 200 -t 10)
      kill "$pid"; wait "$pid" 2>/dev/null || true
      cached[$r,$w]="${cached[$r,$w]:-} $c"
      cookie[$r,$w]="${cookie[$r,$w]:-} $k"
      valid[$r,$w]="${valid[$r,$w]:-} $v"
      user[$r,$w]="${user[$r,$w]:-} $us"
      sys[$r,$w]="${sys[$r,$w]:-} $sy"
      printf 'workers %s round %s %-8s cached %10.0f (µs user %5.2f system %5.2f)  cookie %10.0f  validation %8.0f\n' \
        "$w" "$round" "$r" "$c" "$us" "$sy" "$k" "$v"
    done
  done
done
echo
printf '%-8s %-8s %14s %10s %10s %14s %14s %12s %12s %12s\n' workers resolver "cached median" "user µs/q" "sys µs/q" \
  "cookie median" "valid. median" "cached/unb." "cookie/unb." "valid./unb."
for w in $WORKERS; do
  uc=$(echo "${cached[unbound,$w]}" | median); uv=$(echo "${valid[unbound,$w]}" | median)
  uk=$(echo "${cookie[unbound,$w]}" | median)
  for r in "${resolvers[@]}"; do
    mc=$(echo "${cached[$r,$w]}" | median); mv=$(echo "${valid[$r,$w]}" | median)
    mk=$(echo "${cookie[$r,$w]}" | median)
    mu=$(echo "${user[$r,$w]}" | median); ms=$(echo "${sys[$r,$w]}" | median)
    printf '%-8s %-8s %14.0f %10.2f %10.2f %14.0f %14.0f %12.2f %12.2f %12.2f\n' "$w" "$r" "$mc" "$mu" "$ms" "$mk" "$mv" \
      "$(echo "$mc / $uc" | bc -l)" "$(echo "$mk / $uk" | bc -l)" "$(echo "$mv / $uv" | bc -l)"
  done
done
echo "(rounds: $ROUNDS, interleaved, cold starts; validation: $per distinct signed names per resolver and round)"
if [ "$ENCRYPTED" = 1 ]; then
  echo
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench.test \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
  declare -A enc
  for round in $(seq 1 "$ROUNDS"); do
    for r in candor unbound; do
      case "$r" in
        candor)
          taskset -c 0 target/release/candor serve --listen 127.0.0.1:5300 --tls-listen 127.0.0.1:8853 \
            --https-listen 127.0.0.1:8443 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
            --root-hints "$work/lab/root.hints" --trust-anchor "$work/lab/root.key" --outbound-allow 127.0.0.0/8 \
            --workers 1 --no-rfc5011 --log-level error --control "$work/control-enc.sock" >/dev/null 2>&1 &
          ;;
        unbound)
          unbound_conf "$work/unbound.conf" "$work" 5300 1 "$work/lab"
          cat >> "$work/unbound.conf" <<CONF
server:
  interface: 127.0.0.1@8853
  interface: 127.0.0.1@8443
  tls-port: 8853
  https-port: 8443
  tls-service-key: "$work/key.pem"
  tls-service-pem: "$work/cert.pem"
CONF
          taskset -c 0 unbound -d -c "$work/unbound.conf" >/dev/null 2>&1 &
          ;;
      esac
      pid=$!
      pids+=("$pid")
      tries=0
      until dig +short +time=1 +tries=1 @127.0.0.1 -p 5300 valid.test. A | grep -q 192.0.2.1; do
        tries=$((tries + 1)); [ "$tries" -lt 60 ] || { echo "$r never answered valid.test." >&2; exit 1; }; sleep 0.5
      done
      u=$(qps 1 5300 -d "$work/cached.txt" -l "$SECONDS_CACHED" -c 8 -Q 500000)
      t=$(qps 1 8853 -m dot -d "$work/cached.txt" -l "$SECONDS_CACHED" -c 8 -Q 500000)
      h=$(qps 1 8443 -m doh -O doh-uri=https://127.0.0.1:8443/dns-query -d "$work/cached.txt" -l "$SECONDS_CACHED" -c 8 -Q 500000)
      kill "$pid"; wait "$pid" 2>/dev/null || true
      enc[$r,udp]="${enc[$r,udp]:-} $u"; enc[$r,dot]="${enc[$r,dot]:-} $t"; enc[$r,doh]="${enc[$r,doh]:-} $h"
      printf 'encrypted round %s %-8s cached UDP %10.0f  DoT %10.0f  DoH %10.0f\n' "$round" "$r" "$u" "${t:-0}" "${h:-0}"
    done
  done
  echo
  printf '%-9s %14s %14s %14s\n' transport "candor median" "Unbound median" "candor/unb."
  for m in udp dot doh; do
    c=$(echo "${enc[candor,$m]}" | median); u=$(echo "${enc[unbound,$m]}" | median)
    printf '%-9s %14.0f %14.0f %14.2f\n' "$m" "${c:-0}" "${u:-0}" "$(echo "${c:-0} / ${u:-1}" | bc -l)"
  done
  echo "(cached valid.test./A, 1 worker/thread pinned to CPU 0, dnsperf on CPU 1, 8 connections; rounds: $ROUNDS)"
fi
if [ "$ATTACKS" = 1 ]; then
  kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
  echo
  bash benches/attack.sh
fi
