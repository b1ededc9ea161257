package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Normalize turns the server address a client passes into the key the
// registry table uses: a lower-case "host" or "host:port", with any scheme,
// path, query or trailing slash removed. It is the one host validation of
// every command (install, refresh, export, get): the host must be an IP
// literal or a host name with no empty label, the port 1-65535 in one
// spelling, since the key also names certs.d folders and git config URLs.
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
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if net.ParseIP(host) == nil {
		if err := CheckHostName(host); err != nil {
			return "", fmt.Errorf("registry address %q: %w", serverURL, err)
		}
	}
	switch {
	case port != "":
		if err := CheckPort(port); err != nil {
			return "", fmt.Errorf("registry address %q: %w", serverURL, err)
		}
		return net.JoinHostPort(host, port), nil
	case strings.HasSuffix(u.Host, ":"):
		return "", fmt.Errorf("registry address %q has an empty port", serverURL)
	case strings.Contains(host, ":"):
		return "[" + host + "]", nil
	}
	return host, nil
}

// CheckHostName accepts a bare host name (letters, digits, '-', '_' and
// dots) whose dot-separated labels are all non-empty, so that no value
// reads as "." or ".." in a path.
func CheckHostName(h string) error {
	ok := h != "" && len(h) <= 253 && !slices.Contains(strings.Split(h, "."), "") &&
		!strings.ContainsFunc(h, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
		})
	if !ok {
		return fmt.Errorf("%q is not a host name (letters, digits, '-', '_' and dots, no empty label)", h)
	}
	return nil
}

// CheckPort accepts a port number 1-65535 written as Go writes it (no sign,
// no leading zero), so one port has one spelling in the config keys.
func CheckPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != p {
		return fmt.Errorf("%q is not a port number (1-65535)", p)
	}
	return nil
}
