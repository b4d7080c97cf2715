#!/usr/bin/env bash
# Compares our msmtp with Debian's msmtp 1.8.23 (the reference) on this machine, in one run,
# both sending to postfix's smtp-sink on 127.0.0.1. Run it from anywhere in the repository:
#
#   bench/compare.sh               the full run (1.5 to 2 minutes on 2 cores)
#   bench/compare.sh --quick       a smoke run (about 10 seconds)
#   bench/compare.sh --help        the options
#
# What it measures (docs/performance.md has the figures, the targets and what they mean):
#   (a) one small mail (about 1 KiB), the whole process: median and p90 wall time for both
#       programs, alternating, and the ratio; then ours alone, run after run (warm);
#   (b) a 64 MiB mail: median wall time, CPU time and peak RSS of both, smtp-sink's CPU time
#       during the same runs (it is the bottleneck for ours), and the ratios;
#   (c) peak RSS for 1 MiB, 16 MiB, 256 MiB and 1 GiB mails, ours and (up to 256 MiB, as it
#       needs half a minute or more per GiB) the reference, to show that memory does not grow
#       with the mail;
#   (d) where the small-mail time of ours goes: /bin/true, an empty Go program, our msmtp's
#       start (--version), --pretend (mail read, account chosen, no network), the whole send;
#   and prints whether each of the issue's targets is met.
# Every mail is sent with
#   PROGRAM --host=127.0.0.1 --port=PORT -f a@example.com b@example.org < MAIL
# with HOME pointing to an empty directory and EMAIL, SMTPSERVER, XDG_CONFIG_HOME unset, so
# that no configuration file is read.
#
# Our msmtp is built the way releases are (CGO_ENABLED=0 go build -trimpath -buildvcs=false
# -ldflags "-s -w"), into a temporary directory. The mails are generated there too (random
# base64 lines of 76 characters, and a line starting with "." in every MiB so that
# dot-stuffing is exercised); everything is removed at the end, also on failure or Ctrl-C,
# and smtp-sink is stopped.
#
# Wall time is taken with bash's $EPOCHREALTIME around each run, so it includes starting the
# process (see (d) for what that costs). Peak RSS and CPU time come from GNU time (%M, %U+%S).
# smtp-sink listens on port 0; the port the kernel chose is read from /proc/net/tcp.
#
# Needs: go, bash >= 5, GNU time (/usr/bin/time; Debian package "time"), Debian's msmtp
# (package "msmtp") and postfix's smtp-sink unpacked under $MSMTP_PEERS_DIR (default
# /opt/msmtp-peers) — .ci/install-peers provides all but go. Linux only.
#
# Environment: MSMTP_PEERS_DIR (where the peers are unpacked), REF_MSMTP (the reference
# binary, default /usr/bin/msmtp), TMPDIR (where the temporary directory goes; the 1 GiB
# mail needs 1 GiB there).
#
# Exit status: 0 when everything ran, whether or not the targets were met (the verdicts are
# printed); 1 on an error; 2 on a usage error.
set -euo pipefail
export LC_ALL=C

usage() {
	cat <<'EOF'
Usage: bench/compare.sh [--quick] [--runs N] [--big-runs N] [--rss-runs N]
                        [--sizes "MIB..."] [--no-reference-sizes] [--reference-gib]
                        [--keep]

  --quick               smoke run: --runs 20 --big-runs 1 --rss-runs 1 --sizes "1 16"
                        and an 8 MiB mail instead of 64 MiB in (b)
  --runs N              small-mail runs per program for (a) (default 200)
  --big-runs N          64 MiB runs per program for (b) (default 5)
  --rss-runs N          runs per size and program for (c), the median is shown (default 3;
                        the 1 GiB mail is sent once per program)
  --sizes "MIB..."      mail sizes for (c) in MiB (default "1 16 256 1024")
  --no-reference-sizes  (c) for our msmtp only
  --reference-gib       (c) also sends the reference 1 GiB and more (30-70 s more;
                        by default the reference stops at 256 MiB)
  --keep                keep the temporary directory (its name is printed)
  -h, --help            this help
EOF
}

runs=200 big_runs=5 rss_runs=3 sizes="1 16 256 1024" big_mib=64 ref_sizes=1 ref_gib=0 keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) runs=20 big_runs=1 rss_runs=1 sizes="1 16" big_mib=8 ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--runs=*) runs=${1#*=} ;;
	--big-runs) big_runs=${2:?--big-runs needs a number}; shift ;;
	--big-runs=*) big_runs=${1#*=} ;;
	--rss-runs) rss_runs=${2:?--rss-runs needs a number}; shift ;;
	--rss-runs=*) rss_runs=${1#*=} ;;
	--sizes) sizes=${2:?--sizes needs a list}; shift ;;
	--sizes=*) sizes=${1#*=} ;;
	--no-reference-sizes) ref_sizes=0 ;;
	--reference-gib) ref_gib=1 ;;
	--keep) keep=1 ;;
	-h | --help) usage; exit 0 ;;
	*) printf 'compare.sh: unknown argument %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
read -ra size_array <<<"$sizes"
size_list=${size_array[*]}
for n in "$runs" "$big_runs" "$rss_runs" "${size_array[@]}"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: not a positive number: $n" >&2; exit 2; }
done

log() { printf 'compare.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- The tools -------------------------------------------------------------------------------

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
peers=${MSMTP_PEERS_DIR:-/opt/msmtp-peers}
ref=${REF_MSMTP:-/usr/bin/msmtp}
sink_bin=$peers/postfix/usr/sbin/smtp-sink
sink_lib=$peers/postfix/usr/lib/postfix
gnu_time=/usr/bin/time

((BASH_VERSINFO[0] >= 5)) || die "bash 5 or later is needed (for \$EPOCHREALTIME)"
[ "$(uname -s)" = Linux ] || die "Linux only: the port of smtp-sink is read from /proc"
command -v go >/dev/null || die "go not found in PATH"
[ -x "$sink_bin" ] || die "postfix's smtp-sink not found at $sink_bin;" \
	"run .ci/install-peers (as root), or set MSMTP_PEERS_DIR to where postfix is unpacked" \
	"(apt-get download postfix && dpkg -x postfix_*.deb \$MSMTP_PEERS_DIR/postfix)"
[ -x "$ref" ] || die "the reference msmtp $ref not found; run .ci/install-peers" \
	"or apt-get install msmtp (or set REF_MSMTP)"
"$ref" --version 2>/dev/null | head -n1 | grep -q '^msmtp version' ||
	die "$ref --version does not say \"msmtp version\": not msmtp?"
"$gnu_time" -f %M true 2>/dev/null >/dev/null ||
	die "GNU time not found at $gnu_time; apt-get install time (or run .ci/install-peers)"

# --- Temporary directory, smtp-sink, and clean-up ------------------------------------------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/msmtp-bench.XXXXXX")
sink_pid=
cleanup() {
	local rc=$?
	if [ -n "$sink_pid" ]; then
		kill "$sink_pid" 2>/dev/null || true
		wait "$sink_pid" 2>/dev/null || true
	fi
	if ((keep)); then
		log "kept $tmp"
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "building our msmtp"
(cd "$root" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w" \
	-o "$tmp/bin/" ./cmd/msmtp) || die "go build failed"
ours=$tmp/bin/msmtp
# An empty Go program, built the same way: the floor for any Go program, for (d). (Built
# here, before HOME changes, so that the build cache is found.)
mkdir -p "$tmp/hello"
printf 'package main\n\nfunc main() {}\n' >"$tmp/hello/main.go"
printf 'module hello\n\ngo 1.22\n' >"$tmp/hello/go.mod"
(cd "$tmp/hello" && GOWORK=off CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$tmp/bin/hello" .) ||
	die "go build of the empty program failed"

# The port the kernel gave smtp-sink's listening socket (it was asked for port 0): find the
# socket among its file descriptors and look its inode up in /proc/net/tcp.
sink_port() {
	local pid=$1 fd link inode local_addr st ino
	for fd in /proc/"$pid"/fd/*; do
		link=$(readlink "$fd" 2>/dev/null) || continue
		if [[ $link =~ ^socket:\[([0-9]+)\]$ ]]; then
			inode=${BASH_REMATCH[1]}
			# Fields: sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
			while read -r _ local_addr _ st _ _ _ _ _ ino _; do
				# st 0A is LISTEN
				if [ "$ino" = "$inode" ] && [ "$st" = 0A ]; then
					printf '%d\n' "0x${local_addr#*:}"
					return 0
				fi
			done </proc/net/tcp
		fi
	done
	return 1
}

log "starting smtp-sink"
sink_args=()
# smtp-sink insists on -u (the user to switch to) when it runs as root.
[ "$(id -u)" = 0 ] && sink_args+=(-u root)
LD_LIBRARY_PATH=$sink_lib "$sink_bin" "${sink_args[@]}" 127.0.0.1:0 64 >"$tmp/sink.log" 2>&1 &
sink_pid=$!
port=
for _ in $(seq 100); do
	port=$(sink_port "$sink_pid") && break
	kill -0 "$sink_pid" 2>/dev/null || { cat "$tmp/sink.log" >&2; die "smtp-sink exited"; }
	sleep 0.05
done
[ -n "$port" ] || die "smtp-sink did not start listening"

# --- The environment of the clients -----------------------------------------------------------

mkdir -p "$tmp/home"
export HOME=$tmp/home
unset EMAIL SMTPSERVER XDG_CONFIG_HOME POSIXLY_CORRECT MAIL MSMTP_CONFIG 2>/dev/null || true

# send PROGRAM MAIL: one mail, exactly as the comparison prescribes. The client's stderr is
# kept; a failure ends the benchmark.
send() {
	local rc=0
	"$1" --host=127.0.0.1 --port="$port" -f a@example.com b@example.org <"$2" >/dev/null 2>"$tmp/client.err" || rc=$?
	if ((rc)); then
		cat "$tmp/client.err" >&2
		die "$1 failed (exit $rc) sending $2"
	fi
}

# usec: $EPOCHREALTIME ("1700000000.123456") as microseconds.
usec() { echo "${1/./}"; }

# --- Mails ----------------------------------------------------------------------------------

small=$tmp/small.eml
{
	printf 'From: Alice Example <a@example.com>\n'
	printf 'To: Bob Example <b@example.org>\n'
	printf 'Subject: A small benchmark mail\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=utf-8\n'
	printf '\n'
	for _ in $(seq 12); do
		printf 'The quick brown fox jumps over the lazy dog, again and again and again.\n'
	done
} >"$small"

# One MiB of body: a line starting with a dot (stuffed on the wire), then base64 lines of 76
# characters, the last one cut so that the block is exactly 1048576 bytes.
block=$tmp/block
dotline='.this line starts with a dot and is dot-stuffed on the wire'
head -c 800000 /dev/urandom | base64 -w 76 >"$tmp/base64" # (no pipe into head: SIGPIPE)
{
	printf '%s\n' "$dotline"
	head -c $((1048576 - ${#dotline} - 2)) "$tmp/base64"
	printf '\n'
} >"$block"
[ "$(stat -c %s "$block")" = 1048576 ] || die "the 1 MiB block has the wrong size"

# make_mail MIB: a mail of about MIB MiB (a short header plus MIB blocks), printed as a path.
make_mail() {
	local mib=$1 f=$tmp/mail-$1MiB.eml i
	{
		printf 'From: a@example.com\nTo: b@example.org\nSubject: %s MiB\n\n' "$mib"
		for ((i = 0; i < mib; i++)); do cat "$block"; done
	} >"$f"
	echo "$f"
}

# --- Statistics -----------------------------------------------------------------------------

# pick FILE Q: the Q-quantile (0 <= Q <= 1) of the numbers in FILE, nearest rank (0: the
# smallest, 0.5: the median, 1: the largest).
pick() {
	sort -n "$1" | awk -v q="$2" '{ v[NR] = $1 } END { i = int(NR * q); if (i < NR * q) i++; if (i < 1) i = 1; print v[i] }'
}
# col FILE N: column N of FILE, in a file of its own (printed as a path).
col() { cut -d' ' -f"$2" "$1" >"$1.$2"; echo "$1.$2"; }
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
ms0() { awk -v u="$1" 'BEGIN { printf "%.0f", u / 1000 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
verdict() { if "$@"; then echo "met"; else echo "NOT met"; fi; }

# --- Timing ---------------------------------------------------------------------------------

# wall OUT MAIL COMMAND...: one run of COMMAND with MAIL on stdin, timed with $EPOCHREALTIME
# (microseconds appended to OUT). A failure ends the benchmark.
wall() {
	local out=$1 mail=$2 t0 t1 rc=0
	shift 2
	t0=$EPOCHREALTIME
	"$@" <"$mail" >/dev/null 2>"$tmp/client.err" || rc=$?
	t1=$EPOCHREALTIME
	if ((rc)); then
		cat "$tmp/client.err" >&2
		die "$* failed (exit $rc)"
	fi
	echo $((${t1/./} - ${t0/./})) >>"$out"
}

# children_cpu VAR: set VAR to the user + system time of all the children this shell has
# waited for, in microseconds, from the "times" builtin (millisecond resolution). It must
# run in this shell, not in $(...): a subshell has no children's times of its own.
children_cpu() {
	local t
	times >"$tmp/times"
	t=$(tail -n1 "$tmp/times") # "0m1.234s 0m0.567s"
	printf -v "$1" '%s' "$(awk -v t="$t" 'BEGIN { split(t, f, /[ms ]+/); printf "%.0f", ((f[1] + f[3]) * 60 + f[2] + f[4]) * 1e6 }')"
}

clk_tck=$(getconf CLK_TCK)
# sink_cpu: smtp-sink's CPU time so far (user + system), in microseconds.
sink_cpu() {
	local stat
	read -ra stat <"/proc/$sink_pid/stat"
	# Fields 14 and 15 (utime, stime); the command name (field 2) has no blank here.
	echo $(((stat[13] + stat[14]) * 1000000 / clk_tck))
}

# measured OUT PROGRAM MAIL: one mail under GNU time; appends to OUT the line
# "wall-usec peak-rss-kib client-cpu-usec smtp-sink-cpu-usec".
measured() {
	local out=$1 prog=$2 mail=$3 t0 t1 c0 c1 rc=0 rss user sys
	c0=$(sink_cpu)
	t0=$EPOCHREALTIME
	"$gnu_time" -f '%M %U %S' -o "$tmp/gnutime" "$prog" --host=127.0.0.1 --port="$port" \
		-f a@example.com b@example.org <"$mail" >/dev/null 2>"$tmp/client.err" || rc=$?
	t1=$EPOCHREALTIME
	c1=$(sink_cpu)
	if ((rc)); then
		cat "$tmp/client.err" >&2
		die "$prog failed (exit $rc) sending $mail"
	fi
	read -r rss user sys < <(tail -n1 "$tmp/gnutime")
	echo "$((${t1/./} - ${t0/./})) $rss $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", (u + s) * 1e6 }') $((c1 - c0))" >>"$out"
}

# --- Report header --------------------------------------------------------------------------

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "msmtp-go vs Debian msmtp, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine:   $(nproc) CPUs, ${cpu:-unknown CPU}, Linux $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ours:      $(cd "$root" && git describe --tags --always --dirty 2>/dev/null || echo '?'), $(go version | cut -d' ' -f3-)"
echo "reference: $ref, $("$ref" --version | head -n1)"
echo "sink:      $sink_bin on 127.0.0.1:$port"
echo "command:   PROGRAM --host=127.0.0.1 --port=$port -f a@example.com b@example.org < MAIL"
echo

# --- (a) one small mail ---------------------------------------------------------------------

log "(a) small mail: $runs runs each"
args=(--host=127.0.0.1 --port="$port" -f a@example.com b@example.org)
for _ in 1 2 3; do # warm the page cache
	wall /dev/null "$small" "$ours" "${args[@]}"
	wall /dev/null "$small" "$ref" "${args[@]}"
done
for ((i = 0; i < runs; i++)); do
	wall "$tmp/a.ours" "$small" "$ours" "${args[@]}"
	wall "$tmp/a.ref" "$small" "$ref" "${args[@]}"
done
# The same again for ours alone, run after run: warm caches and CPUs. In the alternating runs
# each of ours follows a reference run that spent most of its ~50 ms waiting, so the CPUs
# have gone idle and ours starts cold; on this kind of machine (a VM) that costs ~1-2 ms.
children_cpu c0
for ((i = 0; i < runs; i++)); do
	wall "$tmp/a.warm" "$small" "$ours" "${args[@]}"
done
children_cpu c1
a_cpu=$(((c1 - c0) / runs))
a_warm=$(pick "$tmp/a.warm" 0.5)
a_ours=$(pick "$tmp/a.ours" 0.5) a_ours90=$(pick "$tmp/a.ours" 0.9)
a_ref=$(pick "$tmp/a.ref" 0.5) a_ref90=$(pick "$tmp/a.ref" 0.9)
echo "(a) one small mail ($(stat -c %s "$small") bytes), the whole process, $runs runs each"
printf '    %-10s median %7s ms   p90 %7s ms   min %7s ms   max %7s ms\n' \
	ours "$(ms "$a_ours")" "$(ms "$a_ours90")" "$(ms "$(pick "$tmp/a.ours" 0)")" "$(ms "$(pick "$tmp/a.ours" 1)")" \
	reference "$(ms "$a_ref")" "$(ms "$a_ref90")" "$(ms "$(pick "$tmp/a.ref" 0)")" "$(ms "$(pick "$tmp/a.ref" 1)")"
printf '    ratio ours/reference: median %s, p90 %s\n' "$(ratio "$a_ours" "$a_ref")" "$(ratio "$a_ours90" "$a_ref90")"
printf '    ours, %s runs back to back (warm): median %s ms, p90 %s ms, CPU (user+system) %s ms per mail\n' \
	"$runs" "$(ms "$a_warm")" "$(ms "$(pick "$tmp/a.warm" 0.9)")" "$(ms "$a_cpu")"
echo

# --- (b) a big mail -------------------------------------------------------------------------

log "(b) $big_mib MiB mail: $big_runs runs each"
big=$(make_mail "$big_mib")
measured /dev/null "$ours" "$big" # warm up
measured /dev/null "$ref" "$big"
for ((i = 0; i < big_runs; i++)); do
	measured "$tmp/b.ours" "$ours" "$big"
	measured "$tmp/b.ref" "$ref" "$big"
done
rm -f "$big"
echo "(b) one $big_mib MiB mail, $big_runs runs each: medians ([min-max] of the wall time), highest peak RSS"
for who in ours ref; do
	f=$tmp/b.$who
	t=$(pick "$(col "$f" 1)" 0.5)
	printf '    %-10s %8s ms [%s-%s]  %4.0f MiB/s  CPU %5s ms  peak RSS %5s MiB  smtp-sink CPU %4s ms\n' \
		"$([ $who = ours ] && echo ours || echo reference)" "$(ms "$t")" \
		"$(ms "$(pick "$f.1" 0)")" "$(ms "$(pick "$f.1" 1)")" \
		"$(awk -v m="$big_mib" -v u="$t" 'BEGIN { print m / (u / 1e6) }')" \
		"$(ms0 "$(pick "$(col "$f" 3)" 0.5)")" "$(mib "$(pick "$(col "$f" 2)" 1)")" \
		"$(ms0 "$(pick "$(col "$f" 4)" 0.5)")"
done
b_ours=$(pick "$tmp/b.ours.1" 0.5) b_ref=$(pick "$tmp/b.ref.1" 0.5)
b_ours_rss=$(pick "$tmp/b.ours.2" 1) b_ref_rss=$(pick "$tmp/b.ref.2" 1)
printf '    ratio ours/reference: time %s, CPU %s, peak RSS %s\n' "$(ratio "$b_ours" "$b_ref")" \
	"$(ratio "$(pick "$tmp/b.ours.3" 0.5)" "$(pick "$tmp/b.ref.3" 0.5)")" "$(ratio "$b_ours_rss" "$b_ref_rss")"
echo "    (CPU: the client's user + system time; smtp-sink CPU: the sink's, during the same run)"
echo

# --- (c) peak RSS against mail size ---------------------------------------------------------

log "(c) peak RSS for sizes $sizes MiB"
echo "(c) peak RSS by mail size, median of $rss_runs runs (1 GiB and more: one run)"
printf '    %9s   %-30s %-30s\n' size "ours: RSS, wall, CPU" "reference: RSS, wall, CPU"
rss_min='' rss_max=''
for s in "${size_array[@]}"; do
	f=$(make_mail "$s")
	n=$rss_runs
	if ((s >= 1024)); then n=1; fi
	rm -f "$tmp/c.ours" "$tmp/c.ref"
	for ((i = 0; i < n; i++)); do
		measured "$tmp/c.ours" "$ours" "$f"
		if ((ref_sizes && (s < 1024 || ref_gib))); then measured "$tmp/c.ref" "$ref" "$f"; fi
	done
	rm -f "$f"
	cells=()
	for who in ours ref; do
		if [ -s "$tmp/c.$who" ]; then
			cells+=("$(mib "$(pick "$(col "$tmp/c.$who" 2)" 0.5)") MiB, $(ms0 "$(pick "$(col "$tmp/c.$who" 1)" 0.5)") ms, $(ms0 "$(pick "$(col "$tmp/c.$who" 3)" 0.5)") ms")
		else
			cells+=(-)
		fi
	done
	printf '    %5s MiB   %-30s %-30s\n' "$s" "${cells[0]}" "${cells[1]}"
	r=$(pick "$tmp/c.ours.2" 0.5)
	if [ -z "$rss_min" ] || ((r < rss_min)); then rss_min=$r; fi
	if [ -z "$rss_max" ] || ((r > rss_max)); then rss_max=$r; fi
done
spread=$((rss_max - rss_min))
printf '    ours: the peak RSS varies by %s MiB over these sizes (%s to %s MiB)\n' \
	"$(mib "$spread")" "$(mib "$rss_min")" "$(mib "$rss_max")"
echo

# --- (d) where the small-mail time of ours goes ---------------------------------------------

log "(d) breakdown of the small-mail time: $runs runs each"
steps=(
	"start a process (/bin/true)|/bin/true"
	"start an empty Go program|$tmp/bin/hello"
	"start ours (--version: package init)|$ours --version"
	"read the mail, choose the account (--pretend)|$ours --pretend ${args[*]}"
	"send the mail (the whole of (a))|$ours ${args[*]}"
)
for ((i = 0; i < runs; i++)); do
	for j in "${!steps[@]}"; do
		# shellcheck disable=SC2086 # the command lines hold no blanks but between arguments
		wall "$tmp/d.$j" "$small" ${steps[$j]#*|}
	done
done
echo "(d) where the small-mail time of ours goes: medians of $runs runs each, each step adding to the one above"
prev=0
for j in "${!steps[@]}"; do
	m=$(pick "$tmp/d.$j" 0.5)
	printf '    %-48s %6s ms  (%s ms)\n' "${steps[$j]%%|*}" "$(ms "$m")" "$(awk -v u=$((m - prev)) 'BEGIN { printf "%+.2f", u / 1000 }')"
	prev=$m
done
echo

# --- Targets --------------------------------------------------------------------------------

echo "targets (the issue's):"
printf '    %-46s %-8s (%s ms)\n' "small mail, median <= 4 ms, alternating:" "$(verdict le "$a_ours" 4000)" "$(ms "$a_ours")" \
	"small mail, median <= 4 ms, back to back:" "$(verdict le "$a_warm" 4000)" "$(ms "$a_warm")"
if [ "$big_mib" = 64 ]; then
	printf '    %-46s %-8s (%s)\n' "64 MiB mail, time <= 0.7 x the reference's:" \
		"$(verdict le "$(ratio "$b_ours" "$b_ref")" 0.7)" "$(ratio "$b_ours" "$b_ref")"
	printf '    %-46s %-8s (%s MiB)\n' "64 MiB mail, peak RSS <= 16 MiB:" \
		"$(verdict le "$b_ours_rss" 16384)" "$(mib "$b_ours_rss")"
else
	echo "    64 MiB mail: not measured (this run sent $big_mib MiB)"
fi
# "Flat" here means: the peak RSS varies by at most 2 MiB over all the sizes measured.
printf '    %-46s %-8s (%s MiB)\n' "peak RSS flat over ${size_list// /,} MiB (within 2 MiB):" \
	"$(verdict le "$spread" 2048)" "$(mib "$spread")"
