package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// imageSpec is everything the image is made of; equal specs and binaries give equal digests.
type imageSpec struct {
	ref       string
	path      string
	base      string
	user      string
	labels    map[string]string
	created   time.Time
	platforms []platformBinary
}

// platformBinary is the static binary built for one platform.
type platformBinary struct {
	os, arch, path string
}

// Annotations containerd reads when importing the layout tarball: the full name to store the image
// under, and the tag (the OCI layout convention).
const (
	annotationContainerdName = "io.containerd.image.name"
	annotationRefName        = "org.opencontainers.image.ref.name"
)

// write builds one image per platform, the index over them, and writes out/oci and out/image.tar.
// It returns the index digest: what a registry will call the multi-platform image.
func write(spec imageSpec, out string) (string, error) {
	baseFiles, err := baseEntries(spec.base)
	if err != nil {
		return "", err
	}
	var base v1.Layer
	if len(baseFiles) > 0 {
		b, err := layerTar(baseFiles, spec.created)
		if err != nil {
			return "", err
		}
		if base, err = gzipLayer(b); err != nil {
			return "", err
		}
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range spec.platforms {
		img, err := platformImage(spec, p, base)
		if err != nil {
			return "", fmt.Errorf("%s/%s: %w", p.os, p.arch, err)
		}
		platform := &v1.Platform{OS: p.os, Architecture: p.arch}
		if p.arch == "arm64" {
			platform.Variant = "v8"
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: platform}})
	}
	idx = mutate.Annotations(idx, spec.labels).(v1.ImageIndex)

	// A fresh directory each time: a layout appended to twice would keep stale blobs and descriptors.
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(out, ".oci-")
	if err != nil {
		return "", err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	lp, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return "", err
	}
	tag := spec.ref[strings.LastIndex(spec.ref, ":")+1:]
	if err := lp.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		annotationContainerdName: spec.ref, annotationRefName: tag,
	})); err != nil {
		return "", err
	}
	tarPath := filepath.Join(out, "image.tar")
	f, err := os.Create(tarPath + ".partial")
	if err != nil {
		return "", err
	}
	if err := archiveDir(tmp, f, spec.created); err != nil {
		_ = f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if err := os.RemoveAll(filepath.Join(out, "oci")); err != nil {
		return "", err
	}
	// MkdirTemp made it private; a layout is meant to be read by others (crane, skopeo, a CI step).
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, filepath.Join(out, "oci")); err != nil {
		return "", err
	}
	if err := os.Rename(tarPath+".partial", tarPath); err != nil {
		return "", err
	}
	d, err := idx.Digest()
	return d.String(), err
}

// platformImage is the image for one platform: the shared base layer, then the binary.
func platformImage(spec imageSpec, p platformBinary, base v1.Layer) (v1.Image, error) {
	bin, err := os.ReadFile(p.path)
	if err != nil {
		return nil, err
	}
	binTar, err := layerTar([]tarEntry{{name: strings.TrimPrefix(spec.path, "/"), mode: 0o755, data: bin}}, spec.created)
	if err != nil {
		return nil, err
	}
	binLayer, err := gzipLayer(binTar)
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	created := v1.Time{Time: spec.created}
	var adds []mutate.Addendum
	if base != nil {
		adds = append(adds, mutate.Addendum{Layer: base, MediaType: types.OCILayer,
			History: v1.History{Created: created, CreatedBy: "hack/image: base " + spec.base}})
	}
	adds = append(adds, mutate.Addendum{Layer: binLayer, MediaType: types.OCILayer,
		History: v1.History{Created: created, CreatedBy: "hack/image: COPY " + filepath.Base(p.path) + " " + spec.path}})
	if img, err = mutate.Append(img, adds...); err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = p.os, p.arch, created
	if p.arch == "arm64" {
		cf.Variant = "v8"
	}
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if spec.base == baseNonroot {
		env = append(env, "SSL_CERT_FILE=/"+caBundlePath)
	}
	cf.Config = v1.Config{
		User:       spec.user,
		Entrypoint: []string{spec.path},
		WorkingDir: "/",
		Env:        env,
		Labels:     spec.labels,
	}
	return mutate.ConfigFile(img, cf)
}

// gzipLayer is a layer from an uncompressed tar. go-containerregistry gzips it with the standard library,
// whose output depends only on the input and the Go release, so the layer digest is as reproducible as
// the tar.
func gzipLayer(tarBytes []byte) (v1.Layer, error) {
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tarBytes)), nil },
		tarball.WithMediaType(types.OCILayer))
}
