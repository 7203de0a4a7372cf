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
  build_previous_image "$arch"
  printf 'image-build %s\n' "$(( $(date +%s) - t ))" >>"$TIMINGS"

  log "building the sandbox, tlsfront, pki and the in-cluster tests"
  t=$(date +%s)
  go build -o "$CLUSTER_DIR/bin/sandbox" ./cmd/sandbox
  go build -o "$CLUSTER_DIR/bin/tlsfront" ./hack/cluster/tlsfront
  go build -o "$CLUSTER_DIR/bin/pki" ./hack/cluster/pki
  go test -c -o "$CLUSTER_DIR/bin/cluster.test" ./test/cluster
  printf 'tools-build %s\n' "$(( $(date +%s) - t ))" >>"$TIMINGS"
}

# build_previous_image builds release 0.1.0's manager image from its commit (git archive: the work tree is
# not touched), as $PREVIOUS_TAR. A shallow clone lacks the commit: that is an error, not a skipped scenario.
build_previous_image() {
  local arch=$1 dir="$CLUSTER_DIR/previous"
  git cat-file -e "$PREVIOUS_REV^{commit}" 2>/dev/null ||
    fail "commit $PREVIOUS_REV (release $PREVIOUS_VERSION) is not in this clone; the upgrade scenario needs the history (git fetch --unshallow)"
  if [ "$(cat "$dir/src/.rev" 2>/dev/null)" != "$PREVIOUS_REV" ]; then
    rm -rf "$dir/src" && mkdir -p "$dir/src"
    git archive "$PREVIOUS_REV" | tar -x -C "$dir/src"
    echo "$PREVIOUS_REV" >"$dir/src/.rev"
  fi
  (cd "$dir/src" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X github.com/siteops/invitation-operator/internal/version.Version=$PREVIOUS_VERSION" -o "$dir/manager" ./cmd/manager)
  PREVIOUS_IMAGE="${MANAGER_IMAGE%:*}:$PREVIOUS_VERSION"
  "$root/bin/image-tool" -out "$dir" -ref "$PREVIOUS_IMAGE" -path /manager -base nonroot -user 65532:65532 \
    -binary "linux/$arch=$dir/manager" >/dev/null
  PREVIOUS_TAR="$dir/image.tar"
}
