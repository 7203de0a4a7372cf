# shellcheck shell=bash
# Starting the node: host preparation (recorded for teardown first), then etcd, kube-apiserver, the
# controllers, containerd with the images loaded, the kubelet, kube-proxy and the sandbox providers, each
# waited for before the next. Sourced, not run.

KUBELET_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

prepare_host() {
  [ ! -e "$NETNS_PATH" ] || fail "network namespace $NETNS exists; run 'make cluster-down' (or 'ip netns delete $NETNS')"
  : >"$STATE"
  : >"$PIDS"
  # Recorded before anything changes, so a run that fails half-way is undone too.
  local key p c
  for key in "${KUBELET_SYSCTLS[@]}"; do record sysctl "$key $(sysctl -n "$key")"; done
  for p in $REMOVABLE_PATHS; do [ -e "$p" ] || record created "$p"; done
  for c in $REMOVABLE_CGROUPS; do compgen -G "/sys/fs/cgroup/*/$c" >/dev/null || record cgroup "$c"; done
  awk '$2 == "/run/netns"' /proc/mounts | grep -q . || record netns-mount yes
  ip netns add "$NETNS"
  ip -n "$NETNS" link set lo up
  ip -n "$NETNS" addr add "$NODE_IP/32" dev lo
}

start_control_plane() {
  local kc="$RUN/pki/admin.kubeconfig" pki="$RUN/pki"
  run_in_netns etcd "$CONTROLPLANE_BIN/etcd" --data-dir "$RUN/etcd" --unsafe-no-fsync \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster default=http://127.0.0.1:2380 --log-level warn
  wait_for etcd 60 in_netns curl -fsS http://127.0.0.1:2379/health

  run_in_netns kube-apiserver "$CONTROLPLANE_BIN/kube-apiserver" \
    --advertise-address "$NODE_IP" --bind-address "$NODE_IP" --secure-port 6443 \
    --etcd-servers http://127.0.0.1:2379 --service-cluster-ip-range "$SERVICE_CIDR" \
    --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$pki/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction --profiling=false
  wait_for kube-apiserver 120 in_netns kubectl --kubeconfig "$kc" get --raw /readyz

  run_in_netns kube-controller-manager "$KUBE_NODE_BIN/kube-controller-manager" \
    --kubeconfig "$pki/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$pki/controller-manager.kubeconfig" --authorization-kubeconfig "$pki/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key"
  run_in_netns kube-scheduler "$KUBE_NODE_BIN/kube-scheduler" --kubeconfig "$pki/scheduler.kubeconfig" \
    --authentication-kubeconfig "$pki/scheduler.kubeconfig" --authorization-kubeconfig "$pki/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false
}

start_runtime() {
  run_in_netns containerd "$CONTAINERD_BIN/containerd" --config "$RUN/config/containerd.toml"
  # containerd starts its shims by name from PATH; runc comes from Debian.
  wait_for containerd 60 ctr_k8s version
  local img
  for img in "$PAUSE_TAR" "$MANAGER_TAR" "$PREVIOUS_TAR"; do
    ctr_k8s images import --platform "linux/$(go env GOARCH)" "$img" >>"$RUN/logs/ctr.log" 2>&1
  done
  ctr_k8s images ls -q 2>/dev/null | grep -qx "$PAUSE_IMAGE" || fail "the pause image was not imported as $PAUSE_IMAGE"
  ctr_k8s images ls -q 2>/dev/null | grep -qx "$MANAGER_IMAGE" || fail "the manager image was not imported as $MANAGER_IMAGE"
  ctr_k8s images ls -q 2>/dev/null | grep -qx "$PREVIOUS_IMAGE" || fail "the $PREVIOUS_VERSION image was not imported as $PREVIOUS_IMAGE"
}

start_node() {
  local kc="$RUN/pki/admin.kubeconfig"
  run_in_netns kubelet "$KUBE_NODE_BIN/kubelet" --config "$RUN/config/kubelet.yaml" \
    --kubeconfig "$RUN/pki/kubelet.kubeconfig" --root-dir "$RUN/kubelet" \
    --node-ip "$NODE_IP" --hostname-override "$NODE_NAME"
  wait_for "the node to register" 120 in_netns kubectl --kubeconfig "$kc" get node "$NODE_NAME"
  run_in_netns kube-proxy "$KUBE_NODE_BIN/kube-proxy" --config "$RUN/config/kube-proxy.yaml"
  wait_for "the node to be Ready" 120 in_netns kubectl --kubeconfig "$kc" wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s
  # The controllers create the default ServiceAccount and the root CA ConfigMap every namespace needs.
  wait_for "the default ServiceAccount" 60 in_netns kubectl --kubeconfig "$kc" -n default get serviceaccount default
}

start_sandbox() {
  run_in_netns sandbox "$CLUSTER_DIR/bin/sandbox" --page-addr "127.0.0.1:${SANDBOX_FAST_PORTS[0]}" \
    --wix-addr "127.0.0.1:${SANDBOX_FAST_PORTS[1]}" --wordpress-addr "127.0.0.1:${SANDBOX_FAST_PORTS[2]}" \
    --ghost-addr "127.0.0.1:${SANDBOX_FAST_PORTS[3]}"
  run_in_netns sandbox-slow "$CLUSTER_DIR/bin/sandbox" --page-addr "127.0.0.1:${SANDBOX_SLOW_PORTS[0]}" \
    --wix-addr "127.0.0.1:${SANDBOX_SLOW_PORTS[1]}" --wordpress-addr "127.0.0.1:${SANDBOX_SLOW_PORTS[2]}" \
    --ghost-addr "127.0.0.1:${SANDBOX_SLOW_PORTS[3]}" --latency "$SANDBOX_SLOW_LATENCY"
  run_in_netns tlsfront "$CLUSTER_DIR/bin/tlsfront" -cert "$RUN/pki/sandbox.crt" -key "$RUN/pki/sandbox.key" \
    -plain "$NODE_IP:$FRONT_PLAIN_WIX=127.0.0.1:${SANDBOX_FAST_PORTS[1]}" -plain "$NODE_IP:$FRONT_PLAIN_WP=127.0.0.1:${SANDBOX_FAST_PORTS[2]}" \
    "$NODE_IP:$FRONT_WIX=127.0.0.1:${SANDBOX_FAST_PORTS[1]}" "$NODE_IP:$FRONT_WP=127.0.0.1:${SANDBOX_FAST_PORTS[2]}" \
    "$NODE_IP:$FRONT_GHOST=127.0.0.1:${SANDBOX_FAST_PORTS[3]}" \
    "$NODE_IP:$FRONT_SLOW_WIX=127.0.0.1:${SANDBOX_SLOW_PORTS[1]}" "$NODE_IP:$FRONT_SLOW_WP=127.0.0.1:${SANDBOX_SLOW_PORTS[2]}"
  wait_for "the sandbox over HTTPS" 30 in_netns curl -fsS --cacert "$RUN/pki/provider-ca.crt" "https://$NODE_IP:$FRONT_WP/_sandbox/state"
  wait_for "the slow sandbox" 30 in_netns curl -fsS "http://127.0.0.1:${SANDBOX_SLOW_PORTS[2]}/_sandbox/state"
}

# write_cluster_env writes what test/cluster needs to know about the node (CLUSTER_ENV points at it) and
# the helpers a person uses with `make cluster`.
write_cluster_env() {
  cat >"$CLUSTER_DIR/cluster.env" <<EOF
KUBECONFIG=$RUN/pki/admin.kubeconfig
HELM=$HELM
REPO_ROOT=$root
NODE_IP=$NODE_IP
PROVIDER_CIDR=$PROVIDER_CIDR
PROVIDER_CA=$RUN/pki/provider-ca.crt
MANAGER_IMAGE=$MANAGER_IMAGE
PREVIOUS_IMAGE=$PREVIOUS_IMAGE
PREVIOUS_BINARY=$CLUSTER_DIR/previous/manager
MANAGER_BINARY=$CLUSTER_DIR/image/manager-linux-$(go env GOARCH)
SANDBOX_WIX=https://$NODE_IP:$FRONT_WIX
SANDBOX_WP=https://$NODE_IP:$FRONT_WP
SANDBOX_GHOST=https://$NODE_IP:$FRONT_GHOST
SANDBOX_SLOW_WIX=https://$NODE_IP:$FRONT_SLOW_WIX
SANDBOX_SLOW_WP=https://$NODE_IP:$FRONT_SLOW_WP
SANDBOX_PLAIN_WIX=http://$NODE_IP:$FRONT_PLAIN_WIX
SANDBOX_PLAIN_WP=http://$NODE_IP:$FRONT_PLAIN_WP
SANDBOX_LEDGER_WIX=http://127.0.0.1:${SANDBOX_FAST_PORTS[1]}/_sandbox/state
SANDBOX_LEDGER_WP=http://127.0.0.1:${SANDBOX_FAST_PORTS[2]}/_sandbox/state
SANDBOX_LEDGER_GHOST=http://127.0.0.1:${SANDBOX_FAST_PORTS[3]}/_sandbox/state
SANDBOX_LEDGER_SLOW_WIX=http://127.0.0.1:${SANDBOX_SLOW_PORTS[1]}/_sandbox/state
SANDBOX_LEDGER_SLOW_WP=http://127.0.0.1:${SANDBOX_SLOW_PORTS[2]}/_sandbox/state
SANDBOX_SLOW_LATENCY=$SANDBOX_SLOW_LATENCY
EOF
  # Values that point a Helm install at the sandbox and make it trust the provider CA.
  {
    printf 'extraArgs:\n- --wix-base-url=https://%s:%s\n- --wordpress-base-url=https://%s:%s\n' "$NODE_IP" "$FRONT_WIX" "$NODE_IP" "$FRONT_WP"
    printf 'extraCACertificates:\n  pem: |\n'
    sed 's/^/    /' "$RUN/pki/provider-ca.crt"
  } >"$CLUSTER_DIR/sandbox-values.yaml"
  mkdir -p "$CLUSTER_DIR/path"
  ln -sfn "$HELM" "$CLUSTER_DIR/path/helm"
  cat >"$CLUSTER_DIR/shell" <<EOF
#!/usr/bin/env bash
# A shell (or one command) inside the test node's network namespace, with kubectl and helm pointed at the node.
export KUBECONFIG=$RUN/pki/admin.kubeconfig PATH=$CLUSTER_DIR/path:\$PATH
exec nsenter --net=$NETNS_PATH -- "\${@:-bash}"
EOF
  chmod +x "$CLUSTER_DIR/shell"
}
