// Package gitcred speaks git's credential-helper protocol (gitcredentials(7),
// git-credential(1)) for the registries of the helper's table: git runs
// `docker-credential-idpbuilder git get|store|erase`, writes key=value lines
// on stdin, and reads username= and password= lines back.
//
// The answers come from helper.Helper, so git gets exactly what docker gets:
// the same registry table, cluster, keyring entry and staleness rules.
package gitcred

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Limits on what Parse accepts. git has none, but its values are a URL's
// parts and a password or token: a line of 64 KiB is far beyond any of them.
const (
	MaxLine  = 64 << 10
	MaxInput = 1 << 20
)

// Request is one credential as git describes it. Attributes this helper
// does not use (wwwauth[], capability[], password_expiry_utc, ...) are
// ignored, as gitcredentials(7) asks.
type Request struct {
	Protocol string
	// Host includes the port when the URL has one ("example.com:8443").
	Host string
	// Path is only sent with credential.useHttpPath.
	Path     string
	Username string
	Password string
}

// ErrSyntax wraps every parse error.
var ErrSyntax = errors.New("malformed credential description")

func syntaxErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSyntax, fmt.Sprintf(format, args...))
}

// Parse reads one credential description: key=value lines ending with a
// blank line or the end of input. As git does, a CR before the LF is
// dropped, a later value replaces an earlier one, and url= is split into
// its parts. A NUL byte, a line without '=' or with an empty key, a line
// longer than MaxLine and input longer than MaxInput are errors.
func Parse(r io.Reader) (Request, error) {
	var req Request
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLine+2) // the line, CR and LF
	total := 0
	for sc.Scan() {
		line := sc.Bytes()
		total += len(line) + 1
		if total > MaxInput {
			return Request{}, syntaxErr("more than %d bytes", MaxInput)
		}
		if len(line) > MaxLine {
			return Request{}, syntaxErr("a line longer than %d bytes", MaxLine)
		}
		if len(line) == 0 {
			return req, nil
		}
		if bytes.IndexByte(line, 0) >= 0 {
			return Request{}, syntaxErr("a NUL byte")
		}
		key, value, ok := strings.Cut(string(line), "=")
		if !ok {
			// The line is not quoted: without '=' nobody knows whether it
			// is a key or a password written on its own.
			return Request{}, syntaxErr("a line without '='")
		}
		if key == "" {
			return Request{}, syntaxErr("a line with an empty key")
		}
		switch key {
		case "protocol":
			req.Protocol = value
		case "host":
			req.Host = value
		case "path":
			req.Path = value
		case "username":
			req.Username = value
		case "password":
			req.Password = value
		case "url":
			if err := req.setURL(value); err != nil {
				return Request{}, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Request{}, syntaxErr("a line longer than %d bytes", MaxLine)
		}
		return Request{}, fmt.Errorf("reading the credential description: %w", err)
	}
	return req, nil
}

// setURL replaces the URL parts, as git does for url=.
func (req *Request) setURL(value string) error {
	u, err := url.Parse(value)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return syntaxErr("url= is not a URL with a scheme")
	}
	next := *req
	next.Protocol, next.Host, next.Path, next.Username = u.Scheme, u.Host, strings.TrimPrefix(u.Path, "/"), ""
	if u.User != nil {
		next.Username = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			next.Password = pw
		}
	}
	// Percent-decoding can make a NUL or a line feed that a line of the
	// protocol could not hold: refuse it as a raw one is refused. The value
	// is not quoted; it may hold a password.
	for _, v := range []string{next.Protocol, next.Host, next.Path, next.Username, next.Password} {
		if strings.ContainsAny(v, "\x00\n") {
			return syntaxErr("url= decodes to a NUL byte or a line feed")
		}
	}
	*req = next
	return nil
}

// Write serialises the request's non-empty attributes, one key=value line
// each, in git's order. A value with a NUL, an LF or a trailing CR cannot be
// carried by the protocol and is an error; nothing is written then.
func (req Request) Write(w io.Writer) error {
	var b strings.Builder
	for _, kv := range [...][2]string{
		{"protocol", req.Protocol},
		{"host", req.Host},
		{"path", req.Path},
		{"username", req.Username},
		{"password", req.Password},
	} {
		if kv[1] == "" {
			continue
		}
		if strings.ContainsAny(kv[1], "\x00\n") || strings.HasSuffix(kv[1], "\r") {
			return fmt.Errorf("the %s cannot be sent to git: it holds a NUL, a line feed or a trailing carriage return", kv[0])
		}
		b.WriteString(kv[0] + "=" + kv[1] + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
