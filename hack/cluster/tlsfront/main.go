// Command tlsfront puts TLS in front of the sandbox providers on the test node, so the manager in a Pod
// reaches them the way it reaches a real provider: HTTPS, with a certificate from a CA it has to be told
// to trust. The sandbox itself serves plain HTTP on loopback only (cmd/sandbox); this listens on the node
// address inside the node's network namespace, which has no link to the host network, and splices each
// connection to its loopback backend unchanged, so a dropped answer stays a dropped connection.
//
//	tlsfront -cert sandbox.crt -key sandbox.key 10.200.0.1:9443=127.0.0.1:9101 ...
//
// -plain routes serve the same backends without TLS, for the one client that cannot be told to trust a CA:
// the previous chart version, in the upgrade test.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
)

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	cert := flag.String("cert", "", "PEM serving certificate.")
	key := flag.String("key", "", "PEM private key.")
	var plain listFlag
	flag.Var(&plain, "plain", "listen=backend route served without TLS; repeat.")
	flag.Parse()
	if err := run(*cert, *key, flag.Args(), plain); err != nil {
		fmt.Fprintln(os.Stderr, "tlsfront:", err)
		os.Exit(1)
	}
}

func run(certFile, keyFile string, routes, plain []string) error {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	// No ALPN: clients speak HTTP/1.1, which splices byte for byte to the plain-HTTP backend.
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	if len(routes) == 0 {
		return fmt.Errorf("no listen=backend routes given")
	}
	var listeners []net.Listener
	listen := func(r string, secure bool) error {
		addr, backend, ok := strings.Cut(r, "=")
		if !ok {
			return fmt.Errorf("route %q: want listen=backend", r)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		scheme := "http"
		if secure {
			l, scheme = tls.NewListener(l, cfg), "https"
		}
		listeners = append(listeners, l)
		fmt.Printf("tlsfront: %s://%s -> http://%s\n", scheme, l.Addr(), backend)
		go serve(l, backend)
		return nil
	}
	for _, r := range routes {
		if err := listen(r, true); err != nil {
			return err
		}
	}
	for _, r := range plain {
		if err := listen(r, false); err != nil {
			return err
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	for _, l := range listeners {
		_ = l.Close()
	}
	return nil
}

func serve(l net.Listener, backend string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go splice(c, backend)
	}
}

// splice copies both ways until either side closes, then closes both.
func splice(client net.Conn, backend string) {
	defer func() { _ = client.Close() }()
	b, err := net.Dial("tcp", backend)
	if err != nil {
		log.Printf("tlsfront: %s: %v", backend, err)
		return
	}
	defer func() { _ = b.Close() }()
	var once sync.Once
	done := make(chan struct{})
	closeBoth := func() { once.Do(func() { close(done) }) }
	go func() { _, _ = io.Copy(b, client); closeBoth() }()
	go func() { _, _ = io.Copy(client, b); closeBoth() }()
	<-done
}
