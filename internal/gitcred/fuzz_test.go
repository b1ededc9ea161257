package gitcred

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that it either accepts input or
// says it is malformed, and that what it accepts survives Write and Parse
// again unchanged (or cannot be written, for a value git could not carry).
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"protocol=https\nhost=gitea.cnoe.localtest.me:8443\n\n",
		"protocol=https\r\nhost=h\r\nusername=u\r\npassword=p=q\r\n\r\n",
		"url=https://me:pw@h:1/p\n",
		"capability[]=authtype\nwwwauth[]=Basic realm=\"Gitea\"\n",
		"host\n", "=x\n", "a=b\x00\n", "password=a\r\r\n", "",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := Parse(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse error %v is not ErrSyntax", err)
			}
			return
		}
		var b bytes.Buffer
		if err := req.Write(&b); err != nil {
			for _, v := range []string{req.Protocol, req.Host, req.Path, req.Username, req.Password} {
				if strings.HasSuffix(v, "\r") {
					return
				}
			}
			t.Fatalf("Write(%+v) = %v", req, err)
		}
		again, err := Parse(&b)
		if err != nil || again != req {
			t.Fatalf("round trip: %+v -> %q -> %+v, %v", req, b.String(), again, err)
		}
	})
}
