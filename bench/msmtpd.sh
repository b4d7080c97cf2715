#!/usr/bin/env bash
# Compares our msmtpd with upstream's msmtpd 1.8.23 (the reference, Debian's msmtp-mta) on
# this machine, both driven by postfix's smtp-source over 127.0.0.1. Run it from anywhere in
# the repository:
#
#   bench/msmtpd.sh               the full run (about 2.5 minutes on 2 cores)
#   bench/msmtpd.sh --quick       a smoke run (about 15 seconds)
#   bench/msmtpd.sh --help        the options
#
# What it measures, in mails per second, for several numbers of parallel SMTP sessions
# (docs/performance.md has the figures, the targets and what they mean):
#   (1) the daemon alone: each msmtpd pipes every mail to --command='cat >/dev/null; true'
#       (a shell that reads the mail and exits 0), ours against the reference;
#   (2) the chain msmtpd -> msmtp -> smtp-sink: each msmtpd runs its default command shape,
#       `MSMTP --host=127.0.0.1 --port=SINK -f %F --`, ours with our msmtp, the reference
#       with Debian's msmtp 1.8.23;
#   (3) our in-process delivery (--account, an msmtprc account pointing at smtp-sink: no
#       process per mail) against smtp-source sending to smtp-sink directly;
#   and prints whether each of the issue's targets is met. Upstream's msmtpd serves at most
#   16 sessions at a time, so the comparisons use at most 16; ours alone is also measured
#   with more (--high-levels).
# Every run is
#   smtp-source -s SESSIONS -m MAILS -l 1024 -f a@example.com -t b@example.org 127.0.0.1:PORT
# (-l is --size) which opens one connection per mail (HELO, MAIL, RCPT, DATA, QUIT),
# SESSIONS of them at a time. MAILS is chosen so that a run lasts about --seconds (from a warm-up run of each
# program at each level, at least 10 mails per session so that the ramp-up and the tail of a
# run weigh little). Runs of ours and of the reference alternate; the figures are medians.
#
# Each msmtpd is started afresh for every run: upstream's msmtpd loses one of its 16
# session slots whenever two of its sessions end at the same moment (its SIGCHLD handler
# reaps one child per signal, and signals that arrive together merge into one; the child
# stays a zombie and its slot stays taken), so under parallel load it soon serves one
# session at a time, and a long-running reference would be measured in that state from the
# first run on. The number of slots it lost in each run is printed. CPU time per mail is the
# msmtpd process's and that of the children it has waited for (user + system, from
# /proc/PID/stat, in clock ticks of 10 ms: rough for the shortest runs; the reference's
# lost children are not counted); for smtp-source sending to smtp-sink directly it is
# smtp-sink's.
#
# Our msmtpd and msmtp are built the way releases are (CGO_ENABLED=0 go build -trimpath
# -buildvcs=false -ldflags "-s -w") into a temporary directory, which is removed at the
# end, also on failure or Ctrl-C; every process started here is stopped.
#
# Ports: our msmtpd listens on port 0 and writes the port the kernel chose to --port-file.
# smtp-sink and upstream's msmtpd also accept port 0 (127.0.0.1:0, --port=0); the port
# they got is read from /proc/net/tcp (the inode of their listening socket), as in
# bench/compare.sh. So no fixed port is used, and no port is chosen before the program
# binds it (no race with other programs).
#
# The servers get HOME pointing to an empty directory and EMAIL, SMTPSERVER,
# XDG_CONFIG_HOME unset, so that the msmtp they run reads no configuration file (the
# commands say everything). LD_LIBRARY_PATH is set for smtp-source and smtp-sink only.
#
# Needs: go, bash >= 5, Debian's msmtp (package "msmtp"), upstream's msmtpd (package
# msmtp-mta) and postfix's smtp-source and smtp-sink unpacked under $MSMTP_PEERS_DIR
# (default /opt/msmtp-peers) — .ci/install-peers provides all but go. Linux only.
#
# Environment: MSMTP_PEERS_DIR (where the peers are unpacked), REF_MSMTPD (the reference
# msmtpd, default $MSMTP_PEERS_DIR/msmtp-mta/usr/bin/msmtpd), REF_MSMTP (the msmtp of the
# reference chain, default /usr/bin/msmtp), TMPDIR.
#
# Exit status: 0 when everything ran, whether or not the targets were met (the verdicts are
# printed); 1 on an error; 2 on a usage error.
set -euo pipefail
export LC_ALL=C

usage() {
	cat <<'EOF'
Usage: bench/msmtpd.sh [--quick] [--runs N] [--seconds S] [--levels "N..."]
                       [--high-levels "N..."] [--size BYTES] [--cases "CASE..."] [--keep]

  --quick               smoke run: --runs 1 --seconds 0.3 --levels "1 10"
                        --high-levels "32"
  --runs N              timed runs per program and level; the median is shown (default 5)
  --seconds S           about how long each run lasts (default 0.8)
  --levels "N..."       parallel sessions of the comparisons, at most 16
                        (default "1 4 10 16")
  --high-levels "N..."  more parallel sessions, for ours only (default "32 64"; "" for none)
  --size BYTES          smtp-source's message length -l (default 1024)
  --cases "CASE..."     which of cat, chain, inprocess to run (default all three)
  --keep                keep the temporary directory (its name is printed)
  -h, --help            this help
EOF
}

runs=5 seconds=0.8 levels="1 4 10 16" high_levels="32 64" size=1024 cases="cat chain inprocess" keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) runs=1 seconds=0.3 levels="1 10" high_levels="32" ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--runs=*) runs=${1#*=} ;;
	--seconds) seconds=${2:?--seconds needs a number}; shift ;;
	--seconds=*) seconds=${1#*=} ;;
	--levels) levels=${2:?--levels needs a list}; shift ;;
	--levels=*) levels=${1#*=} ;;
	--high-levels) high_levels=${2?--high-levels needs a list}; shift ;;
	--high-levels=*) high_levels=${1#*=} ;;
	--size) size=${2:?--size needs a number}; shift ;;
	--size=*) size=${1#*=} ;;
	--cases) cases=${2:?--cases needs a list}; shift ;;
	--cases=*) cases=${1#*=} ;;
	--keep) keep=1 ;;
	-h | --help) usage; exit 0 ;;
	*) printf 'msmtpd.sh: unknown argument %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
read -ra level_array <<<"$levels"
read -ra high_array <<<"$high_levels"
read -ra case_array <<<"$cases"
for n in "$runs" "$size" "${level_array[@]}" "${high_array[@]}"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "msmtpd.sh: not a positive number: $n" >&2; exit 2; }
done
if ! [[ $seconds =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]] || ! awk -v s="$seconds" 'BEGIN { exit !(s > 0) }'; then
	echo "msmtpd.sh: --seconds: not a positive number: $seconds" >&2
	exit 2
fi
((${#level_array[@]} > 0)) || { echo "msmtpd.sh: --levels is empty" >&2; exit 2; }
for n in "${level_array[@]}"; do
	((n <= 16)) || { echo "msmtpd.sh: --levels: $n: the reference serves at most 16 sessions; use --high-levels" >&2; exit 2; }
done
for c in "${case_array[@]}"; do
	case $c in cat | chain | inprocess) ;; *) echo "msmtpd.sh: unknown case $c (cat, chain, inprocess)" >&2; exit 2 ;; esac
done

log() { printf 'msmtpd.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- The tools -------------------------------------------------------------------------------

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
peers=${MSMTP_PEERS_DIR:-/opt/msmtp-peers}
ref_msmtpd=${REF_MSMTPD:-$peers/msmtp-mta/usr/bin/msmtpd}
ref_msmtp=${REF_MSMTP:-/usr/bin/msmtp}
source_bin=$peers/postfix/usr/sbin/smtp-source
sink_bin=$peers/postfix/usr/sbin/smtp-sink
postfix_lib=$peers/postfix/usr/lib/postfix

((BASH_VERSINFO[0] >= 5)) || die "bash 5 or later is needed (for \$EPOCHREALTIME)"
[ "$(uname -s)" = Linux ] || die "Linux only: ports and CPU times are read from /proc"
command -v go >/dev/null || die "go not found in PATH"
for t in "$source_bin" "$sink_bin"; do
	[ -x "$t" ] || die "postfix's $(basename "$t") not found at $t;" \
		"run .ci/install-peers (as root), or set MSMTP_PEERS_DIR to where postfix is unpacked" \
		"(apt-get download postfix && dpkg -x postfix_*.deb \$MSMTP_PEERS_DIR/postfix)"
done
[ -x "$ref_msmtpd" ] || die "upstream's msmtpd not found at $ref_msmtpd; run .ci/install-peers" \
	"(apt-get download msmtp-mta && dpkg -x msmtp-mta_*.deb \$MSMTP_PEERS_DIR/msmtp-mta), or set REF_MSMTPD"
"$ref_msmtpd" --version 2>/dev/null | head -n1 | grep -q '^msmtpd version' ||
	die "$ref_msmtpd --version does not say \"msmtpd version\": not msmtpd?"
[ -x "$ref_msmtp" ] || die "the reference msmtp $ref_msmtp not found; run .ci/install-peers" \
	"or apt-get install msmtp (or set REF_MSMTP)"
"$ref_msmtp" --version 2>/dev/null | head -n1 | grep -q '^msmtp version' ||
	die "$ref_msmtp --version does not say \"msmtp version\": not msmtp?"

# --- Temporary directory, processes, and clean-up --------------------------------------------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/msmtpd-bench.XXXXXX")
# Every long-running process started here, to be stopped at the end.
declare -A started=()
stop() {
	local pid=$1
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "started[$pid]"
}
cleanup() {
	local rc=$? pid
	for pid in "${!started[@]}"; do stop "$pid"; done
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

log "building our msmtp and msmtpd"
(cd "$root" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w" \
	-o "$tmp/bin/" ./cmd/msmtp ./cmd/msmtpd) || die "go build failed"
ours_msmtp=$tmp/bin/msmtp
ours_msmtpd=$tmp/bin/msmtpd

# The environment of the servers and of the msmtp they run: no configuration file.
mkdir -p "$tmp/home"
export HOME=$tmp/home
unset EMAIL SMTPSERVER XDG_CONFIG_HOME POSIXLY_CORRECT MAIL MSMTP_CONFIG LD_LIBRARY_PATH 2>/dev/null || true

# listen_port PID: the port of the socket PID listens on (it was asked for port 0): find the
# socket among its file descriptors and look its inode up in /proc/net/tcp.
listen_port() {
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

# wait_port PID LOG [PORTFILE]: the port PID listens on, once it does (from PORTFILE when
# given, else from /proc); fails if PID exits or takes longer than 5 s.
wait_port() {
	local pid=$1 errlog=$2 file=${3:-} port
	for _ in $(seq 500); do
		if [ -n "$file" ]; then
			[ -s "$file" ] && port=$(head -n1 "$file") && [ -n "$port" ] && { echo "$port"; return 0; }
		else
			port=$(listen_port "$pid") && { echo "$port"; return 0; }
		fi
		kill -0 "$pid" 2>/dev/null || { cat "$errlog" >&2; return 1; }
		sleep 0.01
	done
	cat "$errlog" >&2
	return 1
}

clk_tck=$(getconf CLK_TCK)
# cpu_usec PID: the CPU time of PID and of the children it has waited for (user + system),
# in microseconds.
cpu_usec() {
	local stat
	read -ra stat <"/proc/$1/stat"
	# Fields 14 to 17 (utime, stime, cutime, cstime); the command name (field 2) has no blank.
	echo $(((stat[13] + stat[14] + stat[15] + stat[16]) * 1000000 / clk_tck))
}

# zombies PID: how many of PID's children have exited and not been reaped.
zombies() {
	local n=0 c kids
	read -ra kids <<<"$(cat /proc/"$1"/task/*/children 2>/dev/null | tr "\n" " ")"
	for c in "${kids[@]}"; do
		[ "$(awk '{ print $3 }' "/proc/$c/stat" 2>/dev/null)" = Z ] && n=$((n + 1))
	done
	echo "$n"
}

log "starting smtp-sink"
sink_args=()
# smtp-sink insists on -u (the user to switch to) when it runs as root.
[ "$(id -u)" = 0 ] && sink_args+=(-u root)
LD_LIBRARY_PATH=$postfix_lib "$sink_bin" "${sink_args[@]}" 127.0.0.1:0 64 >"$tmp/sink.log" 2>&1 &
sink_pid=$!
started[$sink_pid]=1
sink_port=$(wait_port "$sink_pid" "$tmp/sink.log") || die "smtp-sink did not start listening"

printf 'account bench\nhost 127.0.0.1\nport %s\ntls off\nauth off\nfrom a@example.com\n' "$sink_port" >"$tmp/msmtprc"
chmod 600 "$tmp/msmtprc"

# server_cmd NAME: sets cmd to the command line of the server NAME (CASE.WHO).
cmd=()
server_cmd() {
	local listen=(--interface=127.0.0.1 --port=0) q
	case $1 in
	cat.ours) cmd=("$ours_msmtpd" "${listen[@]}" --port-file="$tmp/port" --command='cat >/dev/null; true') ;;
	cat.ref) cmd=("$ref_msmtpd" "${listen[@]}" --command='cat >/dev/null; true') ;;
	chain.ours)
		printf -v q '%q' "$ours_msmtp" # a shell reads the command
		cmd=("$ours_msmtpd" "${listen[@]}" --port-file="$tmp/port" --command="$q --host=127.0.0.1 --port=$sink_port -f %F --") ;;
	chain.ref)
		printf -v q '%q' "$ref_msmtp"
		cmd=("$ref_msmtpd" "${listen[@]}" --command="$q --host=127.0.0.1 --port=$sink_port -f %F --") ;;
	inprocess.ours) cmd=("$ours_msmtpd" "${listen[@]}" --port-file="$tmp/port" --account=bench -C "$tmp/msmtprc") ;;
	esac
}

# start_server NAME: starts the server NAME (or, for inprocess.ref, nothing: smtp-source
# then sends to smtp-sink directly); sets server_pid (the process whose CPU time is
# counted, or the sink's) and server_port.
start_server() {
	local name=$1
	if [ "$name" = inprocess.ref ]; then
		server_pid=$sink_pid server_port=$sink_port
		return 0
	fi
	server_cmd "$name"
	rm -f "$tmp/port"
	"${cmd[@]}" >"$tmp/server.log" 2>&1 &
	server_pid=$!
	started[$server_pid]=1
	if [[ $name == *.ours ]]; then
		server_port=$(wait_port "$server_pid" "$tmp/server.log" "$tmp/port") || die "$name did not start: ${cmd[*]}"
	else
		server_port=$(wait_port "$server_pid" "$tmp/server.log") || die "$name did not start listening: ${cmd[*]}"
	fi
}

stop_server() {
	[ "$server_pid" = "$sink_pid" ] || stop "$server_pid"
}

# --- Timing ---------------------------------------------------------------------------------

# A run that takes longer than this is taken for a hung server.
run_limit=120

# drive SESSIONS MAILS: one smtp-source run against the server started last. Prints
# "MAILS_PER_SECOND SERVER_CPU_USEC_PER_MAIL SINK_CPU_USEC_PER_MAIL LOST_SLOTS". A failure
# ends the benchmark.
drive() {
	local s=$1 m=$2 t0 t1 c0 c1 k0 k1 rc=0 lost=-
	c0=$(cpu_usec "$server_pid") k0=$(cpu_usec "$sink_pid")
	t0=$EPOCHREALTIME
	LD_LIBRARY_PATH=$postfix_lib timeout "$run_limit" "$source_bin" -s "$s" -m "$m" -l "$size" \
		-f a@example.com -t b@example.org "127.0.0.1:$server_port" >"$tmp/source.log" 2>&1 || rc=$?
	t1=$EPOCHREALTIME
	if ((rc == 124)); then
		cat "$tmp/server.log" >&2
		die "smtp-source -s $s -m $m to $server_name did not end within $run_limit s (the server stalled)"
	elif ((rc)); then
		cat "$tmp/source.log" "$tmp/server.log" >&2
		die "smtp-source -s $s -m $m to $server_name failed (exit $rc)"
	fi
	if [[ $server_name == *.ref && $server_name != inprocess.ref ]]; then
		sleep 0.05 # the last sessions' exits
		lost=$(zombies "$server_pid")
	fi
	c1=$(cpu_usec "$server_pid") k1=$(cpu_usec "$sink_pid")
	awk -v m="$m" -v t=$((${t1/./} - ${t0/./})) -v c=$((c1 - c0)) -v k=$((k1 - k0)) -v z="$lost" \
		'BEGIN { printf "%.1f %.0f %.0f %s\n", m / (t / 1e6), c / m, k / m, z }'
}

# measure CASE SESSIONS WHO...: a warm-up run of each program (which sets the number of
# mails), then --runs runs of each, alternating; results in $tmp/r.CASE.WHO.SESSIONS.
declare -A mails=()
measure() {
	local c=$1 s=$2 who m rate i warm
	shift 2
	for who in "$@"; do
		server_name=$c.$who
		start_server "$server_name"
		m=$((s * 10 > 20 ? s * 10 : 20))
		warm=$(drive "$s" "$m") || exit 1 # (drive said why)
		read -r rate _ <<<"$warm"
		stop_server
		m=$(awk -v r="$rate" -v t="$seconds" -v min="$m" 'BEGIN { n = int(r * t + 0.5); print (n > min ? n : min) }')
		mails[$c.$who.$s]=$m
		rm -f "$tmp/r.$c.$who.$s"
	done
	for ((i = 0; i < runs; i++)); do
		for who in "$@"; do
			server_name=$c.$who
			start_server "$server_name"
			drive "$s" "${mails[$c.$who.$s]}" >>"$tmp/r.$c.$who.$s"
			stop_server
		done
	done
}

# --- Statistics -----------------------------------------------------------------------------

# median FILE N: the median of column N of FILE (the lower middle one of an even count).
median() { cut -d' ' -f"$2" "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
lowest() { cut -d' ' -f"$2" "$1" | sort -n | head -n1; }
highest() { cut -d' ' -f"$2" "$1" | sort -n | tail -n1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

# cell CASE WHO SESSIONS: "MEDIAN [MIN-MAX] CPU" of one program at one level: mails/s, and
# CPU ms per mail.
cell() {
	local f=$tmp/r.$1.$2.$3
	printf '%5.0f [%.0f-%.0f] %s' "$(median "$f" 1)" "$(lowest "$f" 1)" "$(highest "$f" 1)" "$(ms "$(median "$f" 2)")"
}

# --- Report header --------------------------------------------------------------------------

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "msmtpd-go vs upstream msmtpd, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine:   $(nproc) CPUs, ${cpu:-unknown CPU}, Linux $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ours:      $(cd "$root" && git describe --tags --always --dirty 2>/dev/null || echo '?'), $(go version | cut -d' ' -f3-)"
echo "reference: $ref_msmtpd ($("$ref_msmtpd" --version | head -n1)), $ref_msmtp ($("$ref_msmtp" --version | head -n1))"
echo "driver:    smtp-source -s SESSIONS -m MAILS -l $size -f a@example.com -t b@example.org 127.0.0.1:PORT"
echo "sink:      smtp-sink ${sink_args[*]} 127.0.0.1:$sink_port 64"
echo "servers:   MSMTPD --interface=127.0.0.1 --port=0 [--port-file=FILE] then (1) --command='cat >/dev/null; true'"
echo "           (2) --command='MSMTP --host=127.0.0.1 --port=$sink_port -f %F --' (3) --account=bench -C FILE"
echo "           (an account with host 127.0.0.1, port $sink_port, tls off, auth off); logging off (both programs' default)"
echo "runs:      $runs per program and level, about $seconds s each, alternating; medians [min-max]"
echo

# --- The cases ------------------------------------------------------------------------------

declare -A verdict_lines=()
declare -A target_ratio=([cat]=1.5 [chain]=3 [inprocess]=0.5)
# report CASE TITLE TARGET: measures CASE at every level and prints its table and verdict.
report() {
	local c=$1 title=$2 target=$3 s r note met='' missed='' other=reference notes="reference's lost slots"
	if [ "$c" = inprocess ]; then other="direct (smtp-sink's CPU)" notes="smtp-sink's CPU with ours"; fi
	for s in "${level_array[@]}"; do
		log "($c) $s sessions"
		measure "$c" "$s" ours ref
	done
	for s in "${high_array[@]}"; do
		log "($c) $s sessions, ours only"
		measure "$c" "$s" ours
	done
	echo "$title"
	echo "    mails/s: median [min-max] of $runs runs, then CPU ms per mail"
	printf '    %8s  %-27s %-27s %5s  %s\n' sessions ours "$other" ratio "$notes"
	for s in "${level_array[@]}"; do
		r=$(ratio "$(median "$tmp/r.$c.ours.$s" 1)" "$(median "$tmp/r.$c.ref.$s" 1)")
		if [ "$c" = inprocess ]; then
			note=$(ms "$(median "$tmp/r.$c.ours.$s" 3)")
		else
			note="$(lowest "$tmp/r.$c.ref.$s" 4)-$(highest "$tmp/r.$c.ref.$s" 4) of 16"
		fi
		printf '    %8s  %-27s %-27s %5s  %s\n' "$s" "$(cell "$c" ours "$s")" "$(cell "$c" ref "$s")" "$r" "$note"
		if ge "$r" "${target_ratio[$c]}"; then
			met+="${met:+, }$s"
		else
			missed+="${missed:+, }$s sessions: $r"
		fi
	done
	for s in "${high_array[@]}"; do
		printf '    %8s  %-27s %s\n' "$s" "$(cell "$c" ours "$s")" "(ours only)"
	done
	echo
	if [ -z "$missed" ]; then
		verdict_lines[$c]=$(printf '%-50s met      (at %s sessions)' "$target" "$met")
	else
		verdict_lines[$c]=$(printf '%-50s NOT met  (%s; not at %s)' "$target" \
			"$(if [ -n "$met" ]; then echo "met at $met sessions"; else echo "met at no level"; fi)" "$missed")
	fi
}

for c in "${case_array[@]}"; do
	case $c in
	cat) report cat "(1) --command='cat >/dev/null; true'" \
		"(1) ours >= 1.5 x the reference:" ;;
	chain) report chain "(2) msmtpd -> msmtp -> smtp-sink" \
		"(2) ours >= 3 x the reference chain:" ;;
	inprocess) report inprocess "(3) ours in-process (--account) -> smtp-sink, against smtp-source -> smtp-sink directly" \
		"(3) ours in-process >= 0.5 x direct:" ;;
	esac
done

echo "targets (the issue's), at every level of ${levels// /, } sessions:"
for c in "${case_array[@]}"; do
	echo "    ${verdict_lines[$c]}"
done
