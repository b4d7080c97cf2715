# Shortcuts for the project's scripts; each target says what it runs. GNU make.
#
#   make build          bin/msmtp, bin/msmtpd for this system, version from git describe
#   make test           the README's test command: go test -race -shuffle=on -count=1 ./...
#   make test-windows   the tests of the windows/amd64 build under Wine (.ci/test-windows)
#   make demo           the README's demo: msmtp sends a mail to a local msmtpd
#   make release        dist/: archives for every target, and SHA256SUMS (scripts/release.sh)
#   make clean          remove bin/ and dist/

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build test test-windows demo release clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/ ./cmd/...

test:
	$(GO) test -race -shuffle=on -count=1 ./...

test-windows:
	bash .ci/test-windows

demo:
	$(GO) run ./internal/demo

release:
	VERSION=$(VERSION) bash scripts/release.sh

clean:
	rm -rf bin dist
