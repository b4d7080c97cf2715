#!/usr/bin/env bash
# Runs the Go benchmarks of the repository (every `func Benchmark` in a _test.go file) and
# prints, per benchmark, the median over the runs of ns/op and MB/s and the B/op and
# allocs/op (the same in every run). From anywhere in the repository:
#
#   bench/gobench.sh                 every package that has benchmarks, 5 runs each
#   bench/gobench.sh -count 5        fewer runs
#   bench/gobench.sh ./pkg/smtp      only these packages (the default is all with benchmarks)
#   bench/gobench.sh -raw FILE       also keep the raw `go test` output in FILE (for benchstat)
#
# Needs only go. The medians are computed here so that no tool has to be installed.
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

count=5
raw=
pkgs=()
while [ $# -gt 0 ]; do
	case $1 in
	-count) count=${2:?-count needs a number}; shift ;;
	-count=*) count=${1#*=} ;;
	-raw) raw=${2:?-raw needs a file name}; shift ;;
	-h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) pkgs+=("$1") ;;
	esac
	shift
done
[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "gobench.sh: not a positive number: $count" >&2; exit 2; }
if [ ${#pkgs[@]} -eq 0 ]; then
	mapfile -t pkgs < <(grep -rl --include='*_test.go' '^func Benchmark' . | xargs -n1 dirname | sort -u)
fi

out=$(mktemp "${TMPDIR:-/tmp}/msmtp-gobench.XXXXXX")
trap 'rm -f "$out"' EXIT
echo "go test -run '^\$' -bench . -benchmem -count $count ${pkgs[*]}" >&2
go test -run '^$' -bench . -benchmem -count "$count" "${pkgs[@]}" | tee "$out" | grep -E '^(ok|FAIL|---)' >&2 || true

awk '
/^pkg:/ { pkg = $2; sub(".*/msmtp/", "", pkg) }
/^cpu:/ { cpu = substr($0, 6) }
/^Benchmark/ {
	name = pkg " " $1; sub(/-[0-9]+$/, "", name)
	if (!(name in seen)) { seen[name] = 1; order[++n] = name }
	runs[name]++
	ns[name, runs[name]] = $3
	for (i = 4; i < NF; i++) {
		if ($(i + 1) == "MB/s") mbs[name, runs[name]] = $i
		if ($(i + 1) == "B/op") bop[name] = $i
		if ($(i + 1) == "allocs/op") aop[name] = $i
	}
}
function median(name, arr,    k, m, v, tmp, i, j, t) {
	m = runs[name]
	for (k = 1; k <= m; k++) v[k] = arr[name, k] + 0
	for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return v[int((m + 1) / 2)]
}
END {
	printf "cpu: %s\n", cpu
	printf "%-58s %5s %14s %10s %10s %10s\n", "package benchmark", "runs", "ns/op", "MB/s", "B/op", "allocs/op"
	for (k = 1; k <= n; k++) {
		name = order[k]
		mb = ((name, 1) in mbs) ? sprintf("%.0f", median(name, mbs)) : "-"
		printf "%-58s %5d %14.0f %10s %10s %10s\n", name, runs[name], median(name, ns), mb, bop[name], aop[name]
	}
}' "$out"
if [ -n "$raw" ]; then cp "$out" "$raw"; fi
