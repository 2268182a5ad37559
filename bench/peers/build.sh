#!/usr/bin/env bash
# Builds the peers bench/compare_peers.py compares kplan with, from their Go modules at pinned versions, into
# .bench-peers/bin (gitignored): topicctl and the Terraform Kafka provider. No peer source or binary is committed.
#
# Each module is fetched through the Go module proxy with `go mod download` (checked against go.sum's checksum
# database) and built from the module cache with its own go.mod and go.sum. This is what
# `go install module/cmd@version` does, except that `go install` also asks the proxy for the module's version
# list to look for a deprecation notice, and some proxies refuse that request (403): building from the
# downloaded module needs only the pinned version itself.
#
#   bench/peers/build.sh            # or: make bench-peers
#   bench/peers/build.sh topicctl   # only the peers named (topicctl, terraform-provider-kafka, tofu, promtool)
#   PEERS_DIR=/elsewhere bench/peers/build.sh
set -euo pipefail

TOPICCTL_MODULE=github.com/segmentio/topicctl
TOPICCTL_VERSION=v1.23.1
PROVIDER_MODULE=github.com/Mongey/terraform-provider-kafka
PROVIDER_VERSION=v0.13.1
# OpenTofu's CLI, only when asked by name (`build.sh tofu`: tests/integration/test_import_from.py on a machine without
# Terraform's CLI on PATH; Terraform's own module cannot be built from the module proxy, its backends are nested
# modules it leaves out). It runs the same provider and writes the same state. bench/compare_peers.py uses Terraform.
# promtool, only when asked by name (`build.sh promtool`): tests/unit/deploy/test_deploy.py checks deploy/prometheus/
PROMTOOL_MODULE=github.com/prometheus/prometheus
PROMTOOL_VERSION=v0.307.3
TOFU_MODULE=github.com/opentofu/opentofu
TOFU_VERSION=v1.10.6

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${PEERS_DIR:-$root/.bench-peers}/bin"
# Each binary is also kept once per machine beside the local stack's builds (~/.m2/kplan/bench-peers/, moved by
# KPLAN_STACK_BUILD_CACHE), under its name and version: a clean clone (CI's) links it from there instead of building
# it again (the link step alone took 12.5 CPU-s for promtool with Go's build cache warm).
kept="${KPLAN_STACK_BUILD_CACHE:-$HOME/.m2/kplan}/bench-peers"

if ! command -v go >/dev/null 2>&1; then
  echo "[bench-peers] the Go toolchain (go) is not on PATH: install Go 1.24 or newer to build the peers" >&2
  exit 1
fi
mkdir -p "$bin"
# One build at a time (tests running in parallel may each ask for a peer): the second waits, then finds it built.
exec 9>"$bin/.build.lock"
flock 9

# build MODULE VERSION PACKAGE OUTPUT: download the module at VERSION, build PACKAGE (relative to its root; "" for
# the root) to OUTPUT
build() {
  local module="$1" version="$2" package="$3" output="$4" dir
  if [ -x "$output" ]; then
    echo "[bench-peers] $output exists (delete it to rebuild)"
    return
  fi
  local copy
  copy="$kept/$(basename "$output")@$version"
  if [ -x "$copy" ]; then
    ln -f "$copy" "$output" 2>/dev/null || cp "$copy" "$output"
    echo "[bench-peers] $output from $copy"
    return
  fi
  echo "[bench-peers] downloading $module@$version"
  dir="$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "[bench-peers] could not download $module@$version" >&2
    exit 1
  fi
  echo "[bench-peers] building $module${package:+/$package}@$version -> $output (a few minutes on 2 cores)"
  # built beside, then renamed: a binary is never seen half-written
  (cd "$dir" && GOFLAGS=-buildvcs=false go build -trimpath -o "$output.partial" "./$package")
  mv -f "$output.partial" "$output"
  mkdir -p "$kept" && cp "$output" "$copy.partial.$$" && mv -f "$copy.partial.$$" "$copy"
}

wanted() { [ $# -eq 0 ] || [[ " $* " == *" $peer "* ]]; }
peer=topicctl; if wanted "$@"; then build "$TOPICCTL_MODULE" "$TOPICCTL_VERSION" cmd/topicctl "$bin/topicctl"; fi
# Terraform finds a provider in a dev_overrides directory by the name terraform-provider-<type>; the version in
# the file name is for people (bench/compare_peers.py looks the binary up by this exact name).
peer=terraform-provider-kafka
if wanted "$@"; then
  build "$PROVIDER_MODULE" "$PROVIDER_VERSION" "" "$bin/terraform-provider-kafka_$PROVIDER_VERSION"
fi
if [[ " $* " == *" tofu "* ]]; then build "$TOFU_MODULE" "$TOFU_VERSION" cmd/tofu "$bin/tofu"; fi
if [[ " $* " == *" promtool "* ]]; then build "$PROMTOOL_MODULE" "$PROMTOOL_VERSION" cmd/promtool "$bin/promtool"; fi
echo "[bench-peers] ready in $bin: ${*:-topicctl terraform-provider-kafka}"
command -v terraform >/dev/null 2>&1 || echo "[bench-peers] note: no terraform CLI on PATH; the Terraform part of bench/compare_peers.py will say it is unavailable"
