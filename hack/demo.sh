#!/usr/bin/env bash
# make demo: the operator's main job end to end on this machine, with nothing but Go and kubectl.
# A local control plane (kube-apiserver + etcd built from Go modules), the sandbox Wix and WordPress.com
# servers, the manager out of cluster, one provider per sandbox service and a sample SiteInvitation for
# each. Ctrl-C stops everything it started. DEMO_EXIT=1 exits 0 once the samples are Ready (CI does this).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
demo=bin/demo
mkdir -p "$demo"
export KUBECONFIG="$root/$demo/kubeconfig"
SANDBOX_PAGE=${SANDBOX_PAGE:-127.0.0.1:9100}
SANDBOX_WIX=${SANDBOX_WIX:-127.0.0.1:9101}
SANDBOX_WP=${SANDBOX_WP:-127.0.0.1:9102}
SANDBOX_GHOST=${SANDBOX_GHOST:-127.0.0.1:9103}
PROBE_ADDR=${PROBE_ADDR:-127.0.0.1:9180}
started=()

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\033[31mdemo: %s\033[0m\n' "$*" >&2; exit 1; }

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  if [ "${#started[@]}" -gt 0 ]; then
    step "Stopping everything the demo started"
    for (( i=${#started[@]}-1; i>=0; i-- )); do
      kill -TERM "${started[$i]}" 2>/dev/null || true
    done
    for pid in "${started[@]}"; do
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    done
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() {
  local addr=$1
  if (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null; then
    fail "port ${addr##*:} on ${addr%:*} is taken (another demo or sandbox running?). Stop it, or set SANDBOX_PAGE/SANDBOX_WIX/SANDBOX_WP/SANDBOX_GHOST/PROBE_ADDR."
  fi
}

wait_for() { # wait_for <what> <seconds> <command...>
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  fail "timed out after ${secs}s waiting for $what (logs in $demo/)"
}

step "Checking that the demo ports are free"
for addr in "$SANDBOX_PAGE" "$SANDBOX_WIX" "$SANDBOX_WP" "$SANDBOX_GHOST" "$PROBE_ADDR"; do port_free "$addr"; done

step "Building the control plane (cached in bin/k8s; the first run takes several minutes)"
export KUBEBUILDER_ASSETS
KUBEBUILDER_ASSETS=$(hack/controlplane.sh)

step "Building the manager, the sandbox and the local cluster runner"
go build -o "$demo/manager" ./cmd/manager
go build -o "$demo/sandbox" ./cmd/sandbox
go build -o "$demo/localcluster" ./hack/localcluster

step "Starting kube-apiserver and etcd, installing the CRDs"
rm -f "$KUBECONFIG"
"$demo/localcluster" --write-kubeconfig "$KUBECONFIG" >"$demo/localcluster.log" 2>&1 &
started+=($!)
wait_for "the control plane" 120 grep -q '^ready' "$demo/localcluster.log"
kubectl get crd siteinvitations.invitations.siteops.dev >/dev/null

step "Starting the sandbox Wix and WordPress.com servers"
"$demo/sandbox" --page-addr "$SANDBOX_PAGE" --wix-addr "$SANDBOX_WIX" --wordpress-addr "$SANDBOX_WP" \
  --ghost-addr "$SANDBOX_GHOST" >"$demo/sandbox.log" 2>&1 &
started+=($!)
wait_for "the sandbox" 30 grep -q 'sandbox page' "$demo/sandbox.log"

step "Creating namespaces, Secrets, providers and the samples"
kubectl create namespace invitation-system --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl create namespace demo --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl label namespace demo invitations.siteops.dev/wix=allowed invitations.siteops.dev/ghost=allowed --overwrite >/dev/null
kubectl -n invitation-system create secret generic wix-api-key --from-literal=apiKey=sandbox-wix-api-key \
  --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n demo create secret generic wpcom-token --from-literal=token=sandbox-wpcom-token \
  --dry-run=client -o yaml | kubectl apply -f - >/dev/null
# The sandbox Ghost's staff access token (internal/sandbox/default.yaml), as a real one is stored: "<id>:<secret>".
kubectl -n invitation-system create secret generic ghost-admin-key \
  --from-literal=key=5a4db0c5a4db0c5a4db0c5a1:5a4db0c55a4db0c55a4db0c55a4db0c55a4db0c55a4db0c55a4db0c55a4db0c5 \
  --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl apply -n demo -k config/samples

step "Starting the manager (out of cluster, pointed at the sandbox)"
"$demo/manager" --kubeconfig "$KUBECONFIG" --leader-elect=false \
  --health-probe-bind-address "$PROBE_ADDR" --metrics-bind-address 0 \
  --wix-base-url "http://$SANDBOX_WIX" --wordpress-base-url "http://$SANDBOX_WP" --ghost-base-url "http://$SANDBOX_GHOST" \
  --resync-period 30s --zap-encoder console >"$demo/manager.log" 2>&1 &
started+=($!)
wait_for "the manager to be healthy" 60 curl -fsS "http://$PROBE_ADDR/readyz"

step "Waiting until the samples are Ready"
if ! kubectl wait --for=condition=Ready -n demo siteinvitation --all --timeout=120s; then
  kubectl get invitations -A
  tail -n 30 "$demo/manager.log"
  fail "the samples did not become Ready"
fi

step "Result"
kubectl get invitations -A
echo
kubectl get siteinvitation blog-authors -n demo -o jsonpath='{range .status.sent[*]}{.email}{"\t"}{.state}{"\t"}{.inviteID}{"\n"}{end}'
echo
cat <<EOF
Sandbox page (every invite the fakes received; buttons accept, expire or revoke each): http://$SANDBOX_PAGE/
Point kubectl at the demo cluster:  export KUBECONFIG=$KUBECONFIG
Logs: $demo/manager.log, $demo/sandbox.log, $demo/localcluster.log
Where everyone stands: go run ./cmd/kubectl-invitations status -A   (then: who ada@example.com, explain -n demo blog-authors)
Try: kubectl -n demo patch siteinvitation blog-authors --type merge -p '{"spec":{"emails":["ada@example.com","alan@example.com"]}}'
EOF

if [ "${DEMO_EXIT:-}" = 1 ] || [ -n "${CI:-}" ]; then
  step "DEMO_EXIT=1: stopping"
  exit 0
fi
step "The demo runs until you press Ctrl-C"
while true; do sleep 3600; done
