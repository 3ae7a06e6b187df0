#!/usr/bin/env bash
# Raw verification rates of candor-crypto (the validator's backend: RSA by
# AWS-LC with keys parsed once, the curves by ring; and RSA by ring) beside OpenSSL's, measured
# in the same run on the same machine: OpenSSL's `speed` is the practical
# ceiling. Prints verifications/s for each and the ratio (target >= 0.9).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${SECONDS_PER_ALG:-3}"
out=$(mktemp)
openssl speed -seconds "$secs" rsa2048 ecdsap256 ed25519 2>/dev/null > "$out"
ossl_rsa=$(awk '/^rsa 2048 bits/ {print $(NF)}' "$out")
ossl_p256=$(awk '/256 bits ecdsa \(nistp256\)/ {print $(NF)}' "$out")
ossl_ed=$(awk '/253 bits EdDSA \(Ed25519\)/ {print $(NF)}' "$out")
cargo bench --bench crypto -- verify-raw 2>/dev/null | tee "$out.cargo" | grep -E "^verify-raw|thrpt" || true
# criterion prints "thrpt: [low median high]" with a unit (Kelem/s or elem/s).
median() {
  awk -v name="$1" '
    $0 ~ "^verify-raw/"name {found=1}
    found && /thrpt:/ { v=$(NF-3); u=$(NF-2); gsub(/\[/,"",v);
      if (u ~ /^Kelem/) v*=1000; else if (u ~ /^Melem/) v*=1000000; print v; exit }' "$out.cargo"
}
ours_rsa=$(median alg8-rsa2048); ours_p256=$(median alg13-p256); ours_ed=$(median alg15-ed25519)
ring_rsa=$(median alg8-rsa2048-ring)
printf '%-16s %14s %14s %7s\n' algorithm "candor verify/s" "openssl verify/s" ratio
for row in "rsa2048 $ours_rsa $ossl_rsa" "rsa2048-ring $ring_rsa $ossl_rsa" "ecdsap256 $ours_p256 $ossl_p256" "ed25519 $ours_ed $ossl_ed"; do
  set -- $row
  printf '%-16s %14.0f %14.0f %7.2f\n' "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)"
done
rm -f "$out" "$out.cargo"
