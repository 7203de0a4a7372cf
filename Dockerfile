# Build the manager image with Docker. `make image` builds the same image without a container engine
# (hack/image.sh); test/image keeps the two in agreement: binary path, user, entrypoint, build flags, labels.
# Base images are pinned by exact tag; no registry is reachable from the machine this was written on, so
# digests are added by the release pipeline that can resolve them.
FROM golang:1.26.8-bookworm AS builder
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev

WORKDIR /workspace
# Cache modules before copying the source, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download

COPY cmd/ cmd/
COPY api/ api/
COPY internal/ internal/

# CGO off for a static binary that runs on distroless/static.
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags "-s -w -X github.com/siteops/invitation-operator/internal/version.Version=${VERSION}" \
    -o manager ./cmd/manager

# Run as a non-root user on distroless: no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.source="https://github.com/siteops/invitation-operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.title="invitation-operator"
WORKDIR /
COPY --from=builder /workspace/manager .
USER 65532:65532

ENTRYPOINT ["/manager"]
