# shellcheck shell=bash
# The node's configuration files, written into $RUN/config for each run. Every path the components would
# default to on the host (/var/lib/..., /etc/..., /opt/...) is moved under $RUN, so a run touches the host
# only where a component gives no choice (teardown.sh lists those). Sourced, not run.

write_configs() {
  local cfg="$RUN/config"
  mkdir -p "$cfg" "$RUN/cni/net.d" "$RUN/cni/ipam" "$RUN/pod-logs" "$RUN/kubelet" "$RUN/containerd"
  # Pods resolve no names: the node has no DNS, and the test talks to IP addresses only.
  : >"$cfg/resolv.conf"

  # containerd 2.4's config format (version 4): every socket, state and plugin path under $RUN, nothing
  # imported from /etc/containerd.
  cat >"$cfg/containerd.toml" <<EOF
version = 4
root = "$RUN/containerd/root"
state = "$RUN/containerd/state"
imports = []
# Plugins that would write to /var/run/nri or /opt, or need what this node has not.
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.blockfile", "io.containerd.snapshotter.v1.erofs", "io.containerd.differ.v1.erofs",
  "io.containerd.mount-handler.v1.erofs", "io.containerd.image-verifier.v1.bindir"]

[plugins.'io.containerd.server.v1.grpc']
  address = "$CTRD_SOCK"
[plugins.'io.containerd.server.v1.ttrpc']
  address = "$CTRD_SOCK.ttrpc"
[plugins.'io.containerd.internal.v1.opt']
  path = "$RUN/containerd/opt"

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$PAUSE_IMAGE"

[plugins.'io.containerd.cri.v1.runtime']
  # These machines lack CAP_SYS_RESOURCE: containers may not lower their OOM score below containerd's.
  restrict_oom_score_adj = true
  cdi_spec_dirs = []
  # Pod network namespaces are bind-mounted under $RUN, not /run/netns, so teardown finds any left behind.
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    # Nothing can be pulled here; the pause image is imported before the kubelet starts.
    disable_pause_image_pull = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
      SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$RUN/cni/net.d"

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
EOF

  cat >"$RUN/cni/net.d/10-pods.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$RUN/cni/ipam"
      }
    }
  ]
}
EOF

  cat >"$cfg/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $RUN/pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $RUN/pki/kubelet.crt
tlsPrivateKeyFile: $RUN/pki/kubelet.key
containerRuntimeEndpoint: unix://$CTRD_SOCK
cgroupDriver: cgroupfs
# These VMs run cgroup v1 (hybrid) and cannot switch; kubelet 1.37 still allows it when told to.
failCgroupV1: false
failSwapOn: false
podLogsDir: $RUN/pod-logs
resolvConf: $cfg/resolv.conf
# Nothing can be pulled here: never garbage-collect the imported images.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "2%", imagefs.available: "2%"}
serializeImagePulls: false
EOF

  cat >"$cfg/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $RUN/pki/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
# Leave the host-wide conntrack settings alone (kube-proxy would raise nf_conntrack_max).
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
}
