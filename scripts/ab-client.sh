#!/usr/bin/env bash
# ab-client.sh REV [ROUNDS]: the client's BenchmarkTransportVsPlain at
# commit REV ("before") and in the working tree ("after"), the two test
# binaries taking turns ROUNDS times (default 8) on the same machine, then
# the median of each figure per case. On a shared, noisy machine this is
# the fair way to compare two versions: both see the same noise.
#
#   scripts/ab-client.sh 57fb8f4 12
set -euo pipefail
rev=${1:?usage: scripts/ab-client.sh REV [ROUNDS]}
rounds=${2:-8}
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
cleanup() {
	git -C "$root" worktree remove --force "$tmp/before" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

git -C "$root" worktree add --detach "$tmp/before" "$rev" >/dev/null 2>&1
(cd "$tmp/before" && go test -c -o "$tmp/before.test" ./pkg/harborai)
(cd "$root" && go test -c -o "$tmp/after.test" ./pkg/harborai)

for i in $(seq "$rounds"); do
	for side in before after; do
		dir="$root/pkg/harborai"
		[ "$side" = before ] && dir="$tmp/before/pkg/harborai"
		(cd "$dir" && "$tmp/$side.test" -test.run '^$' -test.bench '^BenchmarkTransportVsPlain$' -test.count 1) |
			awk -v side="$side" '/^BenchmarkTransportVsPlain\// {
				split($1, name, "/"); sub(/-[0-9]+$/, "", name[2])
				for (i = 3; i < NF; i += 2) print side, name[2], $(i + 1), $i
			}' >>"$tmp/results"
	done
	echo "round $i of $rounds done" >&2
done

# side case metric value -> median per side, case and metric.
sort -k1,1 -k2,2 -k3,3 -k4,4g "$tmp/results" | awk '
	function flush() { if (n) printf "%-7s %-13s %-15s %s (of %d)\n", s, c, m, (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2), n }
	{ if ($1 != s || $2 != c || $3 != m) { flush(); s = $1; c = $2; m = $3; n = 0 } v[++n] = $4 }
	END { flush() }' | grep -v ' ns/op '
