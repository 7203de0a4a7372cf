#!/usr/bin/env bash
# make image: the manager's multi-platform OCI image without a container engine. Builds the static manager
# binary per platform the way the Dockerfile does (CGO off, -trimpath, the version stamped by -ldflags) and
# packs them with hack/image (go-containerregistry) into $IMAGE_OUT/oci (an OCI layout) and
# $IMAGE_OUT/image.tar (that layout as a tarball). The same commit gives the same digest: every timestamp is
# SOURCE_DATE_EPOCH (the commit time by default) and the binaries carry no build-machine paths.
# Prints the index digest. Inputs (the Makefile sets them): IMAGE_REPO, VERSION, REVISION, IMAGE_SOURCE.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
: "${IMAGE_REPO:?}" "${VERSION:?}" "${IMAGE_SOURCE:?}"
REVISION=${REVISION:-$(git rev-parse HEAD)}
IMAGE_OUT=${IMAGE_OUT:-$root/bin/image}
PLATFORMS=${PLATFORMS:-linux/amd64 linux/arm64}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
log() { printf 'image: %s\n' "$*" >&2; }

mkdir -p "$IMAGE_OUT" "$root/bin"
# The tool is rebuilt only when its sources change (Go's build cache); about a second otherwise.
(cd hack/image && go build -mod=readonly -trimpath -o "$root/bin/image-tool" .)

# The same flags as the Dockerfile's build stage (test/image compares them).
ldflags="-s -w -X github.com/siteops/invitation-operator/internal/version.Version=${VERSION}"
binaries=()
for platform in $PLATFORMS; do
  os=${platform%/*} arch=${platform#*/}
  bin="$IMAGE_OUT/manager-$os-$arch"
  log "building the manager for $platform"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$bin" ./cmd/manager
  binaries+=(-binary "$platform=$bin")
done

digest=$("$root/bin/image-tool" -out "$IMAGE_OUT" -ref "$IMAGE_REPO:$VERSION" -path /manager -base nonroot -user 65532:65532 \
  "${binaries[@]}" \
  -label "org.opencontainers.image.source=$IMAGE_SOURCE" \
  -label "org.opencontainers.image.version=$VERSION" \
  -label "org.opencontainers.image.revision=$REVISION" \
  -label "org.opencontainers.image.title=invitation-operator")
printf '%s\n' "$IMAGE_REPO:$VERSION@$digest" >"$IMAGE_OUT/ref"
log "$IMAGE_REPO:$VERSION@$digest in $IMAGE_OUT/oci and $IMAGE_OUT/image.tar"
printf '%s\n' "$digest"
