#!/usr/bin/env bash
# README's main command and quick start, as a newcomer runs them on a clone that already
# ran `npm ci`: `npm start` (no kubeconfig anywhere: the embedded management API), then
# `kubectl apply -f config/samples/`, wait for Ready, read the endpoint, the legacy
# POST /register and PUT /updateNode, and a clean stop on Ctrl-C (SIGINT).
# It uses the README's default ports (6443, 3333, 20000+): run it where they are free.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fkas-readme-smoke.XXXXXX")
pid=""
READY_TIMEOUT_S=90
log() { echo "[readme-smoke] $*" >&2; }
STOP_GRACE_S=10
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -INT -- "-$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_GRACE_S * 2; i++)); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work" "$root/fkas-management.kubeconfig"
}
trap cleanup EXIT
fail() { log "FAILED: $*"; log "npm start printed:"; tail -n 30 "$work/start.log" >&2 || true; exit 1; }

cd "$work"
# A newcomer's shell: no KUBECONFIG, no ~/.kube/config.
export HOME="$work/home" && mkdir -p "$HOME" && unset KUBECONFIG
# The README's command, from the repository root (its own process group, so Ctrl-C reaches npm and node).
(cd "$root" && FKAS_LOG_LEVEL=info exec setsid npm start >"$work/start.log" 2>&1) &
pid=$!
kubeconfig="$root/fkas-management.kubeconfig"
ready() { [[ "$(curl -s -o /dev/null -w '%{http_code}' localhost:8081/readyz)" == 200 ]]; }
# The operator's readiness probe (default port 8081): CRDs installed, every FakeAPIServer restored.
for ((i = 0; i < READY_TIMEOUT_S * 2; i++)); do
  ready && break
  kill -0 "$pid" 2>/dev/null || fail "npm start exited"
  sleep 0.5
done
ready || fail "the operator was not ready after ${READY_TIMEOUT_S}s"
log "npm start: operator ready; $kubeconfig written"

export KUBECONFIG="$kubeconfig"
kubectl apply -f "$root/config/samples/" >&2
kubectl wait --for=condition=Ready fas/test1 --timeout=60s >&2 || fail "fas/test1 not Ready"
endpoint=$(kubectl get fas test1 -o jsonpath='{.status.endpoint.host}:{.status.endpoint.port}')
log "fas/test1 serves at $endpoint"
curl -sk "https://$endpoint/version" | grep -q '"gitVersion"' || fail "the fake cluster at $endpoint does not answer /version"

reg=$(curl -s -X POST localhost:3333/register -d '{"cluster":"c1","namespace":"default"}')
echo "$reg" | grep -q '"Resource":"default/c1"' || fail "POST /register answered: $reg"
upd=$(curl -s -X PUT localhost:3333/updateNode -d '{"cluster":"c1","namespace":"default","nodeName":"c1-cp-0","providerID":"metal3://default/bmh-0/c1-cp-0","uuid":"1234","labels":{"node-role.kubernetes.io/control-plane":""},"k8sversion":"v1.32.0"}')
echo "$upd" | grep -q '"NodeName":"c1-cp-0"' || fail "PUT /updateNode answered: $upd"
log "legacy API: $reg"

kill -INT -- "-$pid"
# npm itself reports Ctrl-C as 130; the operator must have stopped cleanly inside it.
code=0; wait "$pid" || code=$?
pid=""
[[ $code -eq 0 || $code -eq 130 ]] || fail "npm start exited $code on Ctrl-C"
grep -q '"operator stopped"' "$work/start.log" || fail "the operator did not stop cleanly on Ctrl-C"
rm -f "$kubeconfig"
log "ok"
