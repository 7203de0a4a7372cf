# Build the manager binary. Base images are pinned by exact tag; no registry is reachable from the machine
# this was written on, so digests are added by the release pipeline that can resolve them.
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
    go build -trimpath -ldflags "-s -w -X github.com/siteops/invitation-operator/internal/version.Version=${VERSION}" \
    -o manager ./cmd/manager

# Run as a non-root user on distroless: no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /
COPY --from=builder /workspace/manager .
USER 65532:65532

ENTRYPOINT ["/manager"]
