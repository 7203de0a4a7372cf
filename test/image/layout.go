// Package image checks the manager image `make image` builds (hack/image.sh, hack/image) as a user and a
// container runtime see it: the OCI layout's index, manifests, configs and layer files, read here with the
// standard library only (so the checks do not share code with the tool they check), and the image run by
// runc on a read-only root filesystem. It also keeps the Dockerfile and the tool in agreement.
package image

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// descriptor, index, manifest and config are the parts of the OCI image spec the checks read.
type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations"`
	Platform    *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Variant      string `json:"variant"`
	} `json:"platform"`
}

type index struct {
	MediaType   string            `json:"mediaType"`
	Manifests   []descriptor      `json:"manifests"`
	Annotations map[string]string `json:"annotations"`
}

type manifest struct {
	MediaType string       `json:"mediaType"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
}

type config struct {
	OS           string    `json:"os"`
	Architecture string    `json:"architecture"`
	Created      time.Time `json:"created"`
	Config       struct {
		User       string            `json:"User"`
		Entrypoint []string          `json:"Entrypoint"`
		Cmd        []string          `json:"Cmd"`
		WorkingDir string            `json:"WorkingDir"`
		Env        []string          `json:"Env"`
		Labels     map[string]string `json:"Labels"`
	} `json:"config"`
}

// file is one entry of a layer.
type file struct {
	header *tar.Header
	data   []byte
}

// layout reads an OCI image layout directory.
type layout struct{ dir string }

func (l layout) blob(digest string, v any) error {
	algo, hex, ok := strings.Cut(digest, ":")
	if !ok {
		return fmt.Errorf("bad digest %q", digest)
	}
	b, err := os.ReadFile(filepath.Join(l.dir, "blobs", algo, hex))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// top returns the layout's index.json and the image index it points at.
func (l layout) top() (index, index, error) {
	var top, idx index
	b, err := os.ReadFile(filepath.Join(l.dir, "index.json"))
	if err != nil {
		return top, idx, err
	}
	if err := json.Unmarshal(b, &top); err != nil {
		return top, idx, err
	}
	if len(top.Manifests) != 1 {
		return top, idx, fmt.Errorf("index.json names %d images, want 1", len(top.Manifests))
	}
	return top, idx, l.blob(top.Manifests[0].Digest, &idx)
}

// layerFiles returns every entry of a gzipped layer, by path without the leading "/".
func (l layout) layerFiles(d descriptor) (map[string]file, error) {
	algo, hex, _ := strings.Cut(d.Digest, ":")
	f, err := os.Open(filepath.Join(l.dir, "blobs", algo, hex))
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	out := map[string]file{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(strings.TrimPrefix(h.Name, "/"), "/")] = file{header: h, data: data}
	}
}
