package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Normalize turns the server address a client passes into the key the
// registry table uses: a lower-case "host" or "host:port", with any scheme,
// path, query or trailing slash removed.
//
// "host" and "host:443" stay distinct: every client measured sends the bare
// host:port it was given, and docker's own credHelpers lookup treats them as
// different keys, so merging them would answer for a registry the user never
// configured.
func Normalize(serverURL string) (string, error) {
	s := strings.TrimSpace(serverURL)
	if s == "" {
		return "", fmt.Errorf("empty registry address")
	}
	if strings.ContainsAny(s, " \t\r\n\x00") {
		return "", fmt.Errorf("registry address %q contains white space or control characters", s)
	}
	if i := strings.Index(s, "://"); i >= 0 {
		scheme := strings.ToLower(s[:i])
		if scheme != "https" && scheme != "http" {
			return "", fmt.Errorf("registry address %q has unsupported scheme %q", s, scheme)
		}
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if strings.Contains(s, "@") {
		return "", fmt.Errorf("registry address %q must not contain user information", serverURL)
	}
	// Registry names are plain ASCII host names, IP literals and ports: no
	// escapes, zones, Unicode or control characters, which would also make
	// the result depend on how often it was normalised.
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_:[]", r)) {
			return "", fmt.Errorf("registry address %q has a character not allowed in a host name: %q", serverURL, r)
		}
	}
	u, err := url.Parse("https://" + s)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("registry address %q is not a host or host:port", serverURL)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		if strings.HasSuffix(u.Host, ":") {
			return "", fmt.Errorf("registry address %q has an empty port", serverURL)
		}
		if strings.Contains(host, ":") {
			return "[" + host + "]", nil
		}
		return host, nil
	}
	return net.JoinHostPort(host, port), nil
}
