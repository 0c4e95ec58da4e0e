#!/usr/bin/env bash
# Builds hack/informer into <repo>/bin/informer. Does nothing when the binary
# there was built from the current sources (go.mod pins the client-go,
# k8s.io/api and apimachinery versions, so the hash of the sources covers
# them). Go's build cache stays at its default location.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
bin="${repo}/bin/informer"

source_hash="$(cd "${here}" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)"

if [[ -x "${bin}" ]] && [[ "$("${bin}" -source-hash 2>/dev/null || true)" == "${source_hash}" ]]; then
  exit 0
fi

if ! command -v go >/dev/null; then
  echo "hack/informer/build.sh: Go is required to build bin/informer (install Go 1.25 or newer: https://go.dev/dl/)" >&2
  exit 1
fi

mkdir -p "${repo}/bin"
(cd "${here}" && go build -trimpath -ldflags "-X main.sourceHash=${source_hash}" -o "${bin}" .)
echo "built ${bin} (source hash ${source_hash})"
