#!/usr/bin/env bash
# Builds the benchmark anchor (hack/anchor: upstream FKAS's serving path, CAPI's
# in-memory server, behind /register and /updateNode) into bin/fkas-anchor.
# Its version is the in-memory server's module version plus a hash of our
# sources, so any change to them (or to go.sum) makes a new version. Like
# hack/tools/build.sh, a build is kept in ~/.cache/metal3-fkas/tools/<version>/
# ($FKAS_TOOLS_CACHE), so another checkout on this machine copies it instead of
# building; bin/.stamp-fkas-anchor records the version bin/ holds.
# Usage: hack/anchor/build.sh   (prints the binary's path on stdout)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
name=fkas-anchor
bin="$root/bin"
cache="${FKAS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metal3-fkas/tools}"
log() { echo "[anchor] $*" >&2; }

inmemory=$(sed -n 's#^\s*sigs.k8s.io/cluster-api/test \(v[0-9.]*\).*#\1#p' "$here/go.mod")
sources=$(cd "$here" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-12)
version="anchor-capi-test-$inmemory-$sources"

if [[ -x "$bin/$name" && "$(cat "$bin/.stamp-$name" 2>/dev/null)" == "$version" ]]; then
  log "$name $version: up to date"
elif [[ -x "$cache/$version/$name" ]]; then
  mkdir -p "$bin"
  cp "$cache/$version/$name" "$bin/$name.tmp" && mv "$bin/$name.tmp" "$bin/$name" && echo "$version" > "$bin/.stamp-$name"
  log "$name $version: copied from $cache"
else
  if ! command -v go >/dev/null; then
    log "Go is required to build $name (Go 1.26 or newer: https://go.dev/dl/)"
    exit 1
  fi
  mkdir -p "$bin"
  start=$(date +%s)
  log "building $name $version (a cold build downloads CAPI's test module and its dependencies)"
  (cd "$here" && go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$bin/$name.tmp" .)
  mv "$bin/$name.tmp" "$bin/$name" && echo "$version" > "$bin/.stamp-$name"
  mkdir -p "$cache/$version" && cp "$bin/$name" "$cache/$version/$name.tmp" && mv "$cache/$version/$name.tmp" "$cache/$version/$name"
  log "built $name in $(( $(date +%s) - start ))s"
fi
echo "$bin/$name"
