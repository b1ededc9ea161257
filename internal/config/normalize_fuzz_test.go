package config

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzNormalize checks that a normalised address is a fixed point and is a
// bare lower-case host[:port]: no scheme, path, query, user information,
// upper case, white space or control character. Errors are one line.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"gitea.cnoe.localtest.me:8443", "https://GITEA.cnoe.localtest.me:8443/v2/", "  host:443\n",
		"[::1]:5000", "http://[FE80::1]/x?y#z", "user:pw@host:1", "ftp://h", "host:", "a%41b:80",
		"h\x00:1", "HTTPS://index.docker.io/v1/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Normalize(in)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("Normalize(%q): error is not one line: %q", in, err)
			}
			return
		}
		if out == "" {
			t.Fatalf("Normalize(%q) = empty", in)
		}
		again, err := Normalize(out)
		if err != nil || again != out {
			t.Fatalf("not idempotent: Normalize(%q) = %q, Normalize(%q) = %q, %v", in, out, out, again, err)
		}
		if strings.Contains(out, "://") || strings.ContainsAny(out, "/?#@") {
			t.Fatalf("Normalize(%q) = %q keeps a scheme, path, query or user", in, out)
		}
		for _, r := range out {
			if unicode.IsSpace(r) || unicode.IsControl(r) {
				t.Fatalf("Normalize(%q) = %q holds white space or a control character", in, out)
			}
		}
		if strings.ToLower(out) != out {
			t.Fatalf("Normalize(%q) = %q is not lower case", in, out)
		}
	})
}
