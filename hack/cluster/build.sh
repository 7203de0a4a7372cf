# shellcheck shell=bash
# Everything the node runs, built or installed before anything starts, so a missing piece fails early and
# the start-up timings measure the start alone. Sourced, not run.

build_all() {
  local t
  log "installing the Debian packages the node needs (only those missing)"
  hack/debian-packages.sh
  log "building the control plane and the node binaries (cached under bin/; the first run takes several minutes)"
  t=$(date +%s)
  CONTROLPLANE_BIN=$(hack/controlplane.sh)
  printf 'controlplane-build %s\n' "$(( $(date +%s) - t ))" >>"$TIMINGS"
  eval "$(TIMINGS=$TIMINGS hack/node.sh)"
  export CONTROLPLANE_BIN KUBE_NODE_BIN CONTAINERD_BIN
  # containerd finds containerd-shim-runc-v2 on PATH.
  export PATH="$CONTAINERD_BIN:$PATH"
  if [ -z "${HELM:-}" ]; then
    make -s helm >&2
    HELM=$(make -s print-helm)
  fi
  export HELM

  log "building the manager image (for this machine's platform) and the pause image"
  t=$(date +%s)
  local app_version arch
  app_version=$(sed -n 's/^appVersion: *"*\([^"]*\)"*$/\1/p' charts/invitation-operator/Chart.yaml)
  arch=$(go env GOARCH)
  # The image carries the name both installers reference by default (the chart's appVersion), so
  # `helm install` and `kubectl apply -k config/default` run it unchanged.
  MANAGER_IMAGE="$(make -s print-image-repo):$app_version"
  IMAGE_OUT="$CLUSTER_DIR/image" PLATFORMS="linux/$arch" VERSION="$app_version" \
    IMAGE_REPO="${MANAGER_IMAGE%:*}" IMAGE_SOURCE="$(make -s print-image-source)" hack/image.sh >/dev/null
  MANAGER_TAR="$CLUSTER_DIR/image/image.tar"
  mkdir -p "$CLUSTER_DIR/bin" "$CLUSTER_DIR/pause"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$CLUSTER_DIR/pause/pause" ./hack/pause
  "$root/bin/image-tool" -out "$CLUSTER_DIR/pause" -ref "$PAUSE_IMAGE" -path /pause -base none -user 65535:65535 \
    -binary "linux/$arch=$CLUSTER_DIR/pause/pause" >/dev/null
  PAUSE_TAR="$CLUSTER_DIR/pause/image.tar"
  printf 'image-build %s\n' "$(( $(date +%s) - t ))" >>"$TIMINGS"

  log "building the sandbox, tlsfront, pki and the in-cluster tests"
  t=$(date +%s)
  go build -o "$CLUSTER_DIR/bin/sandbox" ./cmd/sandbox
  go build -o "$CLUSTER_DIR/bin/tlsfront" ./hack/cluster/tlsfront
  go build -o "$CLUSTER_DIR/bin/pki" ./hack/cluster/pki
  go test -c -o "$CLUSTER_DIR/bin/cluster.test" ./test/cluster
  printf 'tools-build %s\n' "$(( $(date +%s) - t ))" >>"$TIMINGS"
}
