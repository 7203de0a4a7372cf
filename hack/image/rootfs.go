package main

import (
	"bytes"
	"encoding/pem"
	"fmt"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The base layers the tool knows.
const (
	// baseNonroot is what gcr.io/distroless/static-debian12:nonroot gives the Dockerfile's image and the
	// manager needs: a passwd and group that name the nonroot user, a CA bundle for HTTPS to the providers,
	// a writable /tmp and the user's home. No shell, no package manager, no libc.
	baseNonroot = "nonroot"
	// baseNone is an empty base, for single-binary images such as the test node's pause image.
	baseNone = "none"
)

// caBundlePath is where Go (and distroless) look for the system CA bundle.
const caBundlePath = "etc/ssl/certs/ca-certificates.crt"

// passwd and group match distroless's, so `USER 65532:65532` resolves to a name in both images.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group = "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n"
	// nsswitch makes Go's resolver consult /etc/hosts before DNS, as glibc-based images do.
	nsswitch = "hosts: files dns\n"
)

// baseEntries returns the files of a base layer, each owned by root unless stated.
func baseEntries(base string) ([]tarEntry, error) {
	switch base {
	case baseNone:
		return nil, nil
	case baseNonroot:
	default:
		return nil, fmt.Errorf("unknown base %q (want %s or %s)", base, baseNonroot, baseNone)
	}
	ca, err := caBundle()
	if err != nil {
		return nil, err
	}
	return []tarEntry{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/nsswitch.conf", mode: 0o644, data: []byte(nsswitch)},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: caBundlePath, mode: 0o644, data: ca},
		{name: "home/", mode: 0o755, dir: true},
		{name: "home/nonroot/", mode: 0o700, dir: true, uid: 65532, gid: 65532},
		{name: "tmp/", mode: 0o1777, dir: true},
	}, nil
}

// caBundle is Mozilla's root store as shipped in golang.org/x/crypto/x509roots/fallback at the version
// go.mod pins: the same bytes on every machine, unlike the build host's own bundle. Roots the store
// constrains (distrust after a date) are left out, since a PEM file cannot carry the constraint.
func caBundle() ([]byte, error) {
	var b bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		if err := pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate}); err != nil {
			return nil, err
		}
	}
	if b.Len() == 0 {
		return nil, fmt.Errorf("the CA bundle is empty")
	}
	return b.Bytes(), nil
}
