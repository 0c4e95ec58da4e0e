#!/usr/bin/env bash
# Regenerates src/simulator/schema/kube-types.json from the Go types of the
# Kubernetes modules pinned in hack/schemagen/go.mod. Run it after changing
# those versions or the kinds in kinds.go, and commit the result.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
out="${repo}/src/simulator/schema/kube-types.json"

command -v go >/dev/null || { echo "generate.sh: Go is required (https://go.dev/dl/)" >&2; exit 1; }

tmp="$(mktemp "${out}.XXXXXX")"
trap 'rm -f "${tmp}"' EXIT
(cd "${here}" && go run . >"${tmp}")
chmod 0644 "${tmp}"
mv "${tmp}" "${out}"
trap - EXIT
echo "wrote ${out} ($(wc -c <"${out}") bytes)"
