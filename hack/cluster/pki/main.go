// Command pki writes the certificates, keys and kubeconfigs of the test node (hack/cluster.sh): a cluster
// CA and every identity kubeadm would issue for a single node, a service-account key pair, and a separate
// "provider" CA with a serving certificate for the sandbox, which the manager is told to trust the way a
// user behind a TLS-intercepting proxy tells it to (the chart's extraCACertificates).
//
// openssl could do this too, but the SANs and the kubeconfigs are easier to get right, once, in Go.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pki:", err)
		os.Exit(1)
	}
}

// identity is one certificate to issue, and the kubeconfig that uses it, if any.
type identity struct {
	file       string
	kubeconfig string
	cn         string
	orgs       []string
	server     bool
	client     bool
	dns        []string
	ips        []net.IP
}

func run() error {
	out := flag.String("out", "", "Directory to write into.")
	node := flag.String("node", "node", "Node name.")
	nodeIP := flag.String("node-ip", "", "Node address (the API server and kubelet listen on it).")
	serviceIP := flag.String("service-ip", "10.96.0.1", "First Service IP (kubernetes.default).")
	flag.Parse()
	ip := net.ParseIP(*nodeIP)
	if *out == "" || ip == nil {
		return fmt.Errorf("-out and -node-ip are required")
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	loopback := net.ParseIP("127.0.0.1")
	ca, caKey, err := newCA(*out, "ca", "invitation-operator test node CA")
	if err != nil {
		return err
	}
	ids := []identity{
		{file: "apiserver", cn: "kube-apiserver", server: true, ips: []net.IP{ip, loopback, net.ParseIP(*serviceIP)},
			dns: []string{"localhost", *node, "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}},
		{file: "admin", kubeconfig: "admin", cn: "kubernetes-admin", orgs: []string{"system:masters"}, client: true},
		{file: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}, client: true},
		{file: "kubelet-client", kubeconfig: "kubelet", cn: "system:node:" + *node, orgs: []string{"system:nodes"}, client: true},
		{file: "kubelet", cn: *node, server: true, ips: []net.IP{ip}, dns: []string{*node}},
		{file: "controller-manager", kubeconfig: "controller-manager", cn: "system:kube-controller-manager", client: true},
		{file: "scheduler", kubeconfig: "scheduler", cn: "system:kube-scheduler", client: true},
		{file: "kube-proxy", kubeconfig: "kube-proxy", cn: "system:kube-proxy", client: true},
	}
	for _, id := range ids {
		if err := issue(*out, ca, caKey, id); err != nil {
			return err
		}
	}
	if err := writeKey(filepath.Join(*out, "sa.key"), filepath.Join(*out, "sa.pub")); err != nil {
		return err
	}
	pca, pcaKey, err := newCA(*out, "provider-ca", "invitation-operator sandbox provider CA")
	if err != nil {
		return err
	}
	if err := issue(*out, pca, pcaKey, identity{file: "sandbox", cn: "sandbox", server: true, ips: []net.IP{ip, loopback}}); err != nil {
		return err
	}
	server := "https://" + net.JoinHostPort(ip.String(), "6443")
	for _, id := range ids {
		if id.kubeconfig == "" {
			continue
		}
		if err := writeKubeconfig(*out, id.kubeconfig, id.file, server); err != nil {
			return err
		}
	}
	return nil
}

func newKey() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

// validity covers a long `make cluster` session and tolerates a clock a little behind.
func validity() (time.Time, time.Time) {
	now := time.Now()
	return now.Add(-time.Hour), now.Add(30 * 24 * time.Hour)
}

func newCA(dir, file, cn string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	from, to := validity()
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: cn}, NotBefore: from, NotAfter: to,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, writePair(dir, file, der, key)
}

func issue(dir string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, id identity) error {
	key, err := newKey()
	if err != nil {
		return err
	}
	from, to := validity()
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: id.cn, Organization: id.orgs},
		NotBefore: from, NotAfter: to, KeyUsage: x509.KeyUsageDigitalSignature, DNSNames: id.dns, IPAddresses: id.ips}
	if id.server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if id.client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	return writePair(dir, id.file, der, key)
}

func writePair(dir, file string, der []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, file+".crt"), cert, 0o644); err != nil { //nolint:gosec // G306: a certificate is public
		return err
	}
	return os.WriteFile(filepath.Join(dir, file+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
}

// writeKey writes the service-account signing key pair.
func writeKey(keyPath, pubPath string) error {
	key, err := newKey()
	if err != nil {
		return err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	pb, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pb}), 0o644) //nolint:gosec // G306: a public key is public
}

func writeKubeconfig(dir, name, cert, server string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: node
  cluster:
    server: %[1]s
    certificate-authority: %[2]s/ca.crt
users:
- name: %[3]s
  user:
    client-certificate: %[2]s/%[4]s.crt
    client-key: %[2]s/%[4]s.key
contexts:
- name: %[3]s
  context: {cluster: node, user: %[3]s}
current-context: %[3]s
`, server, abs, name, cert)
	return os.WriteFile(filepath.Join(dir, name+".kubeconfig"), []byte(kc), 0o600)
}
