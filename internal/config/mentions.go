package config

import (
	"bytes"
	"net"
	"strings"
)

// Mentions reports whether data, a table file's content, could hold an
// entry for serverURL. It says false only when the host name appears
// nowhere in the file (compared in lower case, in a file with no escape and
// no byte outside ASCII, as every table written here is): a get for a
// registry that is not ours then answers without decoding the table, whose
// JSON decoder's first use costs more than all the rest of such a get.
func Mentions(data []byte, serverURL string) bool {
	host, err := Normalize(serverURL)
	if err != nil || bytes.ContainsAny(data, `\`) || bytes.ContainsFunc(data, func(r rune) bool { return r >= 0x80 }) {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return bytes.Contains(bytes.ToLower(data), []byte(strings.ToLower(host)))
}
