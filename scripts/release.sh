#!/usr/bin/env bash
# Builds the release archives of msmtp and msmtpd into dist/, from any directory.
#
#   scripts/release.sh            (or: make release)
#
# For each target below it builds every command under cmd/ (msmtp, msmtpd) with
# CGO_ENABLED=0 -trimpath -ldflags "-s -w -X main.version=VERSION", and packs them with
# README.md, LICENSE and docs/ as
#   dist/msmtp-VERSION-GOOS-GOARCH.tar.gz     (.zip for windows, with msmtp.exe and msmtpd.exe)
# each holding one top-level directory of the same name, then writes dist/SHA256SUMS
# (check with: cd dist && sha256sum -c SHA256SUMS).
#
# VERSION is `git describe --tags --always --dirty` (override with VERSION=...). The archives
# are reproducible: file times are the last commit's (or $SOURCE_DATE_EPOCH), owners are 0.
# Needs go, git, tar, gzip, zip and sha256sum; it installs nothing.
set -euo pipefail

targets=(
	linux/amd64 linux/arm64
	darwin/amd64 darwin/arm64
	freebsd/amd64 freebsd/arm64
	windows/amd64 windows/arm64
)

log() { printf 'release: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

for tool in go git tar gzip zip sha256sum touch; do
	command -v "$tool" >/dev/null || die "$tool not found; install it (Debian: apt-get install $tool)"
done

VERSION=${VERSION:-$(git describe --tags --always --dirty)} || die "git describe failed"
[[ $VERSION =~ ^[A-Za-z0-9._+-]+$ ]] || die "unusable version \"$VERSION\""
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}

# The commands: every package main under cmd/.
mapfile -t cmds < <(go list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./cmd/...)
[ ${#cmds[@]} -gt 0 ] || die "no command under cmd/"
for want in msmtp msmtpd; do
	found=false
	for c in "${cmds[@]}"; do [ "$(basename "$c")" = "$want" ] && found=true; done
	$found || log "warning: cmd/$want does not exist (yet): the archives will not contain it"
done
docs=()
for f in README.md LICENSE docs; do
	if [ -e "$f" ]; then docs+=("$f"); else log "warning: $f is missing: the archives will not contain it"; fi
done

dist=$root/dist
rm -rf "$dist"
mkdir -p "$dist"
work=$(mktemp -d "$dist/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "version $VERSION: $(for c in "${cmds[@]}"; do basename "$c"; done | paste -sd' ') for ${#targets[@]} targets"
started=$(date +%s)
for target in "${targets[@]}"; do
	goos=${target%/*} goarch=${target#*/}
	name=msmtp-$VERSION-$goos-$goarch
	stage=$work/$name
	mkdir -p "$stage"
	GOOS=$goos GOARCH=$goarch CGO_ENABLED=0 go build -trimpath -buildvcs=false \
		-ldflags "-s -w -X main.version=$VERSION" -o "$stage/" "${cmds[@]}"
	if [ "$target" = "${targets[0]}" ]; then
		for c in "${cmds[@]}"; do
			# -X does nothing, silently, where main declares no `var version`.
			grep -qaF -- "$VERSION" "$stage/$(basename "$c")" ||
				log "warning: $c does not declare var version: its binaries will not know their version"
		done
	fi
	cp -R "${docs[@]}" "$stage/"
	find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	if [ "$goos" = windows ]; then
		(cd "$work" && find "$name" -print | LC_ALL=C sort | TZ=UTC zip -q -X -9 "$dist/$name.zip" -@)
	else
		tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
			-cf - "$name" | gzip -9 -n >"$dist/$name.tar.gz"
	fi
	log "$target done"
done
(cd "$dist" && sha256sum -- *.tar.gz *.zip >SHA256SUMS)
log "built in $(($(date +%s) - started)) s:"
(cd "$dist" && ls -l -- *.tar.gz *.zip SHA256SUMS) >&2
