#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, for installing the operator the way users do
# (the image in containerd, `helm install`, `kubectl apply -k`) and testing it there.
#
#   hack/cluster.sh up     start it, print how to use it, stay up until Ctrl-C, then tear down   (make cluster)
#   hack/cluster.sh e2e    start it, run test/cluster inside it, tear down; exits with the tests' status (make e2e-cluster)
#   hack/cluster.sh down   tear down whatever an earlier run left behind; safe to repeat             (make cluster-down)
#
# Everything runs inside a network namespace of its own with no link to the host network: etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, containerd, the kubelet, kube-proxy and the
# sandbox providers (HTTPS through tlsfront, with a CA the tests install through the chart). Binaries are
# built from pinned Go modules and cached under bin/ per version (hack/controlplane.sh, hack/node.sh);
# missing Debian packages are installed (hack/debian-packages.sh). Every process is recorded with its PID
# and stopped by it; mounts, cgroups, the network namespace and the host sysctls the kubelet changes are
# undone in a trap, so a failed run cleans up too (hack/cluster/teardown.sh). Needs root.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=hack/cluster/env.sh
source hack/cluster/env.sh
# shellcheck source=hack/cluster/teardown.sh
source hack/cluster/teardown.sh
# shellcheck source=hack/cluster/configs.sh
source hack/cluster/configs.sh
# shellcheck source=hack/cluster/start.sh
source hack/cluster/start.sh
# shellcheck source=hack/cluster/build.sh
source hack/cluster/build.sh

cmd=${1:-}
case "$cmd" in
  up | e2e | down) ;;
  *) echo "usage: $0 up|e2e|down" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || fail "the node needs root (namespaces, mounts, cgroups)"
mkdir -p "$CLUSTER_DIR"
# The binaries teardown needs (ctr) are known even when only tearing down.
eval "$(hack/node.sh --print-only 2>/dev/null || true)"
KUBE_NODE_BIN=${KUBE_NODE_BIN:-} CONTAINERD_BIN=${CONTAINERD_BIN:-}

if [ "$cmd" = down ]; then
  teardown
  exit 0
fi

on_exit() {
  local code=$?
  trap - EXIT INT TERM
  [ -z "${sleeper:-}" ] || kill "$sleeper" 2>/dev/null || true
  teardown || code=1
  exit "$code"
}
# Whatever an earlier run left behind goes first.
teardown
: >"$TIMINGS"
trap on_exit EXIT
trap 'exit 130' INT TERM

build_all
rm -rf "$RUN"
mkdir -p "$RUN/logs"
start=$(date +%s)
"$CLUSTER_DIR/bin/pki" -out "$RUN/pki" -node "$NODE_NAME" -node-ip "$NODE_IP" -service-ip "$SERVICE_IP"
write_configs
prepare_host
start_control_plane
start_runtime
start_node
start_sandbox
write_cluster_env
printf 'cluster-start %s\n' "$(( $(date +%s) - start ))" >>"$TIMINGS"
log "node Ready in $(( $(date +%s) - start ))s"

if [ "$cmd" = e2e ]; then
  log "running test/cluster inside the node's network namespace"
  # The tests run inside the namespace: it is the only place the API server, the Pods and the sandbox
  # can be reached from.
  set +e
  (cd test/cluster && in_netns env CLUSTER_ENV="$CLUSTER_DIR/cluster.env" TIMINGS="$TIMINGS" \
    "$CLUSTER_DIR/bin/cluster.test" -test.v -test.timeout "${CLUSTER_TEST_TIMEOUT:-30m}" ${CLUSTER_TEST_RUN:+-test.run "$CLUSTER_TEST_RUN"})
  status=$?
  set -e
  log "timings (seconds):"; sed 's/^/  /' "$TIMINGS" >&2
  exit "$status"
fi

cat <<EOF

The node is Ready. Everything runs inside the network namespace $NETNS, so use it from there:

  kubeconfig:     $RUN/pki/admin.kubeconfig
  a shell there:  $CLUSTER_DIR/shell              (kubectl and helm on PATH, KUBECONFIG set)
  one command:    $CLUSTER_DIR/shell kubectl get nodes

The image $MANAGER_IMAGE is loaded. Install the chart against the sandbox providers:

  $CLUSTER_DIR/shell helm install invitation-operator $root/charts/invitation-operator -n invitation-system \\
    --create-namespace -f $CLUSTER_DIR/sandbox-values.yaml --wait

Sandbox ledgers (every invite received), from the shell: curl http://127.0.0.1:${SANDBOX_FAST_PORTS[0]}/
Logs: $RUN/logs/. Ctrl-C stops everything and restores the host.
EOF
# `wait` returns as soon as a trapped signal arrives (a foreground sleep would hold the trap back).
while true; do sleep 3600 & sleeper=$!; wait "$sleeper"; done
