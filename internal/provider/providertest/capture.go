// Package providertest helps provider client tests look at the exact bytes a client puts on the wire.
package providertest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Request is one request exactly as it arrived: the request line, the header lines in their original
// spelling (Host left out, its port varies) and the body.
type Request struct {
	Line    string
	Headers []string
	Body    string
}

// Header returns the value of the header line whose name is exactly name (case-sensitive), and whether
// it was present.
func (r Request) Header(name string) (string, bool) {
	for _, h := range r.Headers {
		if k, v, ok := strings.Cut(h, ": "); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// CaptureServer accepts connections on loopback, records each request's raw bytes and answers every one
// with the same canned response. It returns the base URL and a function returning what was captured.
func CaptureServer(t testing.TB, status int, body string) (string, func() []Request) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	reqs := make(chan Request, 64)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go serve(conn, reqs, status, body)
		}
	}()
	var got []Request
	return "http://" + l.Addr().String(), func() []Request {
		for {
			select {
			case r := <-reqs:
				got = append(got, r)
			case <-time.After(50 * time.Millisecond):
				return got
			}
		}
	}
}

func serve(conn net.Conn, reqs chan<- Request, status int, body string) {
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	for {
		req, err := readRaw(br)
		if err != nil {
			return
		}
		reqs <- req
		resp := fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			status, statusText(status), len(body), body)
		if _, err := io.WriteString(conn, resp); err != nil {
			return
		}
	}
}

func readRaw(br *bufio.Reader) (Request, error) {
	var r Request
	line, err := br.ReadString('\n')
	if err != nil {
		return r, err
	}
	r.Line = strings.TrimRight(line, "\r\n")
	length := 0
	for {
		h, err := br.ReadString('\n')
		if err != nil {
			return r, err
		}
		h = strings.TrimRight(h, "\r\n")
		if h == "" {
			break
		}
		name, value, _ := strings.Cut(h, ": ")
		if strings.EqualFold(name, "Content-Length") {
			length, _ = strconv.Atoi(value)
		}
		if !strings.EqualFold(name, "Host") {
			r.Headers = append(r.Headers, h)
		}
	}
	var b bytes.Buffer
	if _, err := io.CopyN(&b, br, int64(length)); err != nil {
		return r, err
	}
	r.Body = b.String()
	return r, nil
}

func statusText(code int) string {
	if code == 200 {
		return "OK"
	}
	return "Status"
}
