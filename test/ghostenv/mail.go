package ghostenv

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
)

var linkRE = regexp.MustCompile(`https?://[^\s"'<>]+/ghost/signup/([A-Za-z0-9_\-=%]+)/`)

// parseMail reads the headers and the text of a message; a part it cannot read is left empty.
func parseMail(raw []byte) Mail {
	var m Mail
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return m
	}
	dec := new(mime.WordDecoder)
	if subj, err := dec.DecodeHeader(msg.Header.Get("Subject")); err == nil {
		m.Subject = subj
	}
	m.ReplyTo = msg.Header.Get("Reply-To")
	text, html := readBody(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	m.Text = text
	if m.Text == "" {
		m.Text = html
	}
	if sub := linkRE.FindStringSubmatch(text + "\n" + html); sub != nil {
		m.Link, m.Token = sub[0], sub[1]
	}
	return m
}

// readBody returns the text/plain and text/html content of a (possibly multipart) body.
func readBody(contentType, encoding string, body io.Reader) (text, html string) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = "text/plain"
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return text, html
			}
			t, h := readBody(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			text, html = text+t, html+h
		}
	}
	var r = body
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = newBase64Reader(body)
	}
	b, _ := io.ReadAll(r)
	if mediaType == "text/html" {
		return "", string(b)
	}
	return string(b), ""
}

// newBase64Reader decodes a base64 MIME body, whose lines are wrapped.
func newBase64Reader(r io.Reader) io.Reader {
	b, _ := io.ReadAll(r)
	clean := strings.Map(func(c rune) rune {
		if c == '\r' || c == '\n' || c == ' ' || c == '\t' {
			return -1
		}
		return c
	}, string(b))
	return base64.NewDecoder(base64.StdEncoding, strings.NewReader(clean))
}
