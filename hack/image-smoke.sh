#!/usr/bin/env bash
# What the Dockerfile does, without a container engine, so CI tests the image's steps:
#   build stage:   npm ci; npm run build          (in a copy of the sources, like the image's context)
#   runtime stage: npm ci --omit=dev; copy dist/  (into a staging folder, like /app)
# then starts `node dist/fkas.js operator` from the staging folder (embedded management
# API, free ports, HOME without a kubeconfig) and checks /healthz, /readyz, /metrics and a legacy
# POST /register whose endpoint answers /version. Keep the steps in line with the Dockerfile.
# Usage: hack/image-smoke.sh   (FKAS_SMOKE_KEEP=1 keeps the folders for a post-mortem)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fkas-image-smoke.XXXXXX")
build="$work/build" app="$work/app" home="$work/home" scratch="$work/tmp"
pid=""
# How long the operator may take to answer /readyz (it builds CAs for the management API first).
READY_TIMEOUT_S=60
log() { echo "[image-smoke] $*" >&2; }
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [[ -z "${FKAS_SMOKE_KEEP:-}" ]]; then rm -rf "$work"; else log "kept $work"; fi
}
trap cleanup EXIT
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# Build stage: the image copies exactly these (see .dockerignore).
mkdir -p "$build" "$app" "$home" "$scratch"
cp -r "$root/package.json" "$root/package-lock.json" "$root/src" "$root/crds" "$build/"
mkdir -p "$build/hack" && cp "$root/hack/build.mjs" "$build/hack/" && cp -r "$root/hack/bundle" "$build/hack/"
log "build stage: npm ci && npm run build"
(cd "$build" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)

# Runtime stage: production dependencies only, plus the compiled output.
cp "$build/package.json" "$build/package-lock.json" "$app/"
log "runtime stage: npm ci --omit=dev"
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
cp -r "$build/dist" "$app/dist"
if [[ -d "$app/node_modules/typescript" || -d "$app/node_modules/mocha" ]]; then log "dev dependencies leaked into the runtime stage"; exit 1; fi

api=$(free_port) probe=$(free_port) shim=$(free_port) fake=$(free_port)
log "starting the operator from $app (management API :$api, probes :$probe, shim :$shim)"
(cd "$app" && exec env -u KUBECONFIG HOME="$home" TMPDIR="$scratch" FKAS_LOG_LEVEL=warn \
  node dist/fkas.js operator --embedded --embedded-port "$api" --embedded-kubeconfig "$scratch/management.kubeconfig" \
  --probe-port "$probe" --shim-port "$shim" --port-range "$fake-$fake" > "$work/operator.log" 2>&1) &
pid=$!

deadline=$(( $(date +%s) + READY_TIMEOUT_S ))
until curl -fsS "http://127.0.0.1:$probe/readyz" >/dev/null 2>&1; do
  if ! kill -0 "$pid" 2>/dev/null || (( $(date +%s) > deadline )); then
    log "the operator did not become ready; its log:"; cat "$work/operator.log" >&2; exit 1
  fi
  sleep 0.5
done
[[ "$(curl -fsS "http://127.0.0.1:$probe/healthz")" == "ok" ]] || { log "/healthz did not say ok"; exit 1; }
curl -fsS "http://127.0.0.1:$probe/metrics" | grep -q '^# TYPE ' || { log "/metrics has no Prometheus metrics"; exit 1; }
reply=$(curl -fsS -X POST "http://127.0.0.1:$shim/register" -d '{"cluster":"smoke","namespace":"default"}')
port=$(node -e 'const r=JSON.parse(process.argv[1]); if (r.Resource !== "default/smoke") process.exit(1); console.log(r.Port)' "$reply") || { log "unexpected /register reply: $reply"; exit 1; }
curl -fsSk "https://127.0.0.1:$port/version" | grep -q '"gitVersion"' || { log "the registered fake cluster does not serve /version"; exit 1; }
kill -TERM "$pid"
wait "$pid" || { log "the operator exited non-zero on SIGTERM"; cat "$work/operator.log" >&2; exit 1; }
pid=""
log "ok: production install serves /healthz, /readyz, /metrics, /register and a fake cluster; exits 0 on SIGTERM"
