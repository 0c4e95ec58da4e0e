#!/usr/bin/env bash
# Builds the helm CLI (helm.sh/helm/v3/cmd/helm at $HELM_VERSION from versions.env) into bin/helm,
# for the specs that render charts/metal3-fkas. There is no Debian package for helm; the Go module
# proxy has it. Like build.sh, a built binary is kept in $FKAS_TOOLS_CACHE (default
# ~/.cache/metal3-fkas/tools/<version>/helm) so a fresh clone on the same machine copies it.
# Usage: hack/tools/helm.sh   (prints nothing but the log when bin/helm is already at the pinned version)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=versions.env
source "$root/hack/tools/versions.env"
bin="$root/bin"
cache="${FKAS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metal3-fkas/tools}"
v="$HELM_VERSION"
log() { echo "[tools] $*" >&2; }
mkdir -p "$bin"

if [[ -x "$bin/helm" && "$(cat "$bin/.stamp-helm" 2>/dev/null)" == "$v" ]]; then
  log "helm $v: up to date"
elif [[ -x "$cache/$v/helm" ]]; then
  cp "$cache/$v/helm" "$bin/helm.tmp" && mv "$bin/helm.tmp" "$bin/helm" && echo "$v" > "$bin/.stamp-helm"
  log "helm $v: copied from $cache"
else
  start=$(date +%s)
  log "building helm $v (helm.sh/helm/v3/cmd/helm)"
  gobin="$root/hack/tools/.gobin/helm"
  rm -rf "$gobin" && mkdir -p "$gobin"
  GOBIN="$gobin" go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$v"
  mv "$gobin/helm" "$bin/helm"
  echo "$v" > "$bin/.stamp-helm"
  log "helm $v: built in $(( $(date +%s) - start ))s"
fi
# Keep a copy outside the checkout for the next clone.
if [[ ! -x "$cache/$v/helm" ]]; then
  mkdir -p "$cache/$v" && cp "$bin/helm" "$cache/$v/helm.tmp" && mv "$cache/$v/helm.tmp" "$cache/$v/helm"
fi
