#!/usr/bin/env bash
# Builds the node binaries of the test cluster from pinned Go modules and caches them per version:
#   bin/k8s/node-<kubernetes version>/   kubelet, kube-scheduler, kube-controller-manager, kube-proxy
#   bin/containerd/<containerd version>/ containerd, containerd-shim-runc-v2, ctr
# The Kubernetes binaries come from the same scratch module as kube-apiserver (hack/controlplane/kube-apiserver:
# one replace block, one module graph, one go.sum), so the node and the control plane are always the same
# release. No prebuilt binaries can be downloaded on these machines; this needs only Go and the module proxy.
# Prints KUBE_NODE_BIN=<dir> and CONTAINERD_BIN=<dir>; a second run costs nothing. --print-only prints them
# without building. With TIMINGS=<file>, appends the seconds each build took (docs/testing.md quotes them).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod="$root/hack/controlplane/kube-apiserver"

# containerd v2: Debian's 1.6 only works through a CRI fallback that kubelet 1.38 removes.
CONTAINERD_VERSION=${CONTAINERD_VERSION:-v2.4.2}

kube_version=$(cd "$mod" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
kube_dest="$root/bin/k8s/node-${kube_version}"
ctrd_dest="$root/bin/containerd/${CONTAINERD_VERSION}"
log() { printf 'node: %s\n' "$*" >&2; }
timing() { [ -z "${TIMINGS:-}" ] || printf '%s %s\n' "$1" "$2" >>"$TIMINGS"; }
if [ "${1:-}" = --print-only ]; then
  printf 'KUBE_NODE_BIN=%s\nCONTAINERD_BIN=%s\n' "$kube_dest" "$ctrd_dest"
  exit 0
fi

components=(kubelet kube-scheduler kube-controller-manager kube-proxy)
missing=()
for c in "${components[@]}"; do [ -x "$kube_dest/$c" ] || missing+=("$c"); done
if [ "${#missing[@]}" -gt 0 ]; then
  log "building ${missing[*]} $kube_version from Go modules (about 10 CPU-minutes, once)"
  mkdir -p "$kube_dest/.partial"
  minor=${kube_version#v1.}; minor=${minor%%.*}
  pkgs=(); for c in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  # One go build for all of them: the packages they share are compiled once.
  start=$(date +%s)
  (cd "$mod" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=$kube_version \
      -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=$minor \
      -X k8s.io/component-base/version.gitTreeState=clean" \
      -o "$kube_dest/.partial/" "${pkgs[@]}")
  for c in "${missing[@]}"; do mv "$kube_dest/.partial/$c" "$kube_dest/$c"; done
  rmdir "$kube_dest/.partial"
  log "built ${missing[*]} in $(( $(date +%s) - start ))s"
  timing node-build "$(( $(date +%s) - start ))"
fi

if [ ! -x "$ctrd_dest/containerd" ] || [ ! -x "$ctrd_dest/containerd-shim-runc-v2" ] || [ ! -x "$ctrd_dest/ctr" ]; then
  log "building containerd $CONTAINERD_VERSION from Go modules (about a minute, once)"
  start=$(date +%s)
  mkdir -p "$ctrd_dest.partial"
  # no_btrfs: the btrfs snapshotter needs C headers; this node uses overlayfs.
  GOBIN="$ctrd_dest.partial" CGO_ENABLED=0 go install -tags no_btrfs -trimpath -ldflags "-s -w" \
    "github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD_VERSION" \
    "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" \
    "github.com/containerd/containerd/v2/cmd/ctr@$CONTAINERD_VERSION"
  rm -rf "$ctrd_dest"; mv "$ctrd_dest.partial" "$ctrd_dest"
  log "built containerd in $(( $(date +%s) - start ))s"
  timing containerd-build "$(( $(date +%s) - start ))"
fi

printf 'KUBE_NODE_BIN=%s\nCONTAINERD_BIN=%s\n' "$kube_dest" "$ctrd_dest"
