#!/usr/bin/env bash
# Builds the test control plane (kube-apiserver and etcd) from the pinned Go modules in hack/controlplane/,
# caches the binaries under bin/k8s/<versions>/ and prints that directory (use it as KUBEBUILDER_ASSETS).
# No prebuilt Kubernetes binaries can be downloaded here; this needs only Go and the module proxy.
# A second run costs nothing: the binaries are rebuilt only when a pinned version changes.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$root/hack/controlplane"

kube_version=$(cd "$src/kube-apiserver" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
etcd_version=$(cd "$src/etcd" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
dest="$root/bin/k8s/kube-apiserver-${kube_version}-etcd-${etcd_version}"
mkdir -p "$dest"

log() { printf 'controlplane: %s\n' "$*" >&2; }

if [ ! -x "$dest/kube-apiserver" ]; then
  log "building kube-apiserver $kube_version from Go modules (about 5 minutes on 2 cores, once)"
  minor=${kube_version#v1.}; minor=${minor%%.*}
  (cd "$src/kube-apiserver" && go build -mod=readonly -trimpath -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=$kube_version \
      -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=$minor \
      -X k8s.io/component-base/version.gitTreeState=clean" \
      -o "$dest/kube-apiserver.partial" k8s.io/kubernetes/cmd/kube-apiserver)
  mv "$dest/kube-apiserver.partial" "$dest/kube-apiserver"
fi

if [ ! -x "$dest/etcd" ]; then
  log "building etcd $etcd_version from Go modules (about 30 seconds, once)"
  (cd "$src/etcd" && go build -mod=readonly -trimpath -ldflags "-s -w" -o "$dest/etcd.partial" .)
  mv "$dest/etcd.partial" "$dest/etcd"
fi

# envtest looks for kubectl beside the other binaries; link the machine's own.
if [ ! -e "$dest/kubectl" ] && command -v kubectl >/dev/null 2>&1; then
  ln -sf "$(command -v kubectl)" "$dest/kubectl"
fi

printf '%s\n' "$dest"
