// Command image builds the manager's container image without a container engine: a multi-platform OCI
// image (one static binary per platform on a distroless-like base) written as an OCI layout and as a
// tarball of that layout, byte for byte the same on every run with the same inputs.
//
// No Docker engine or registry exists where this project is developed and tested, and the release
// workflow should publish exactly what the tests ran; so `make image` builds the image with this tool and
// the Dockerfile stays for people who have Docker (test/image keeps the two in agreement).
//
//	image -ref ghcr.io/siteops/invitation-operator:v0.1.0 -out bin/image \
//	  -binary linux/amd64=bin/image/manager-linux-amd64 -binary linux/arm64=bin/image/manager-linux-arm64 \
//	  -path /manager -base nonroot -label org.opencontainers.image.version=v0.1.0
//
// Timestamps come from SOURCE_DATE_EPOCH (reproducible-builds.org), 0 when unset.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func run(args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	var binaries, labels listFlag
	spec := imageSpec{}
	out := fs.String("out", "bin/image", "Directory to write the OCI layout (oci/) and its tarball (image.tar) into.")
	fs.StringVar(&spec.ref, "ref", "", "Image reference the layout and tarball name (repository:tag).")
	fs.Var(&binaries, "binary", "os/arch=path of the static binary for one platform; repeat per platform.")
	fs.StringVar(&spec.path, "path", "/manager", "Where the binary goes in the image; it is the entrypoint.")
	fs.StringVar(&spec.base, "base", baseNonroot, "Base files: nonroot (passwd/group with nonroot 65532, CA bundle, /tmp) or none.")
	fs.StringVar(&spec.user, "user", "65532:65532", "uid:gid the container runs as.")
	fs.Var(&labels, "label", "key=value OCI label (config label and index annotation); repeat.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if spec.ref == "" || len(binaries) == 0 {
		return fmt.Errorf("-ref and at least one -binary are required")
	}
	created, err := sourceDateEpoch()
	if err != nil {
		return err
	}
	spec.created = created
	spec.labels = map[string]string{}
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return fmt.Errorf("-label %q: want key=value", l)
		}
		spec.labels[k] = v
	}
	for _, b := range binaries {
		p, path, ok := strings.Cut(b, "=")
		osName, arch, ok2 := strings.Cut(p, "/")
		if !ok || !ok2 {
			return fmt.Errorf("-binary %q: want os/arch=path", b)
		}
		spec.platforms = append(spec.platforms, platformBinary{os: osName, arch: arch, path: path})
	}
	digest, err := write(spec, *out)
	if err != nil {
		return err
	}
	fmt.Println(digest)
	return nil
}

// sourceDateEpoch is the time every timestamp in the image is set to, so rebuilding the same commit gives
// the same digest.
func sourceDateEpoch() (time.Time, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	s, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", v, err)
	}
	return time.Unix(s, 0).UTC(), nil
}
