package status

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
)

// registryChecks asks the registry itself: reachable, TLS trusted, and the
// credentials accepted by its token endpoint, as Gitea's clients do.
func (c *Checker) registryChecks(host, protocol, clusterCA, username, secret string) []Check {
	var checks []Check
	base := "https://" + host
	ctx, cancel := context.WithTimeout(context.Background(), c.Installer.Settings.Timeout)
	defer cancel()
	if protocol == "http" {
		return c.plainHTTPChecks(ctx, host, username, secret)
	}

	system := c.SystemRoots
	if system == nil {
		system, _ = x509.SystemCertPool() // honours SSL_CERT_FILE
	}
	if system == nil {
		system = x509.NewCertPool()
	}
	verifier := goVerifier(cmp.Or(c.Installer.GOOS, runtime.GOOS))
	trusted := Check{Name: "tls", OK: true, Detail: "certificate trusted by " + verifier}
	_, err := get(ctx, tlsClient(system), base+"/v2/", "", "")
	var unverified *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unverified):
		trusted = Check{Name: "tls", Detail: "certificate signed by an authority " + verifier + " does not trust (docker push and Go clients fail with x509 errors)",
			Fix: "run '" + cli.Name + " install --trust-ca'", Blocking: false}
	case err != nil:
		checks = append(checks, Check{Name: "registry", Detail: fmt.Sprintf("%s unreachable: %v", base, err), Fix: "start the cluster, and check that " + strings.Split(host, ":")[0] + " resolves to it", Blocking: true})
		return checks
	}
	checks = append(checks, Check{Name: "registry", OK: true, Detail: base + "/v2/ answers"})

	pool := system.Clone()
	if clusterCA != "" {
		pool.AppendCertsFromPEM([]byte(clusterCA))
	}
	if ok := c.certsDPresent(host); ok != "" && !trusted.OK {
		trusted.Detail += "; " + ok
	}
	checks = append(checks, trusted)

	if secret == "" {
		return checks
	}
	client := tlsClient(pool)
	resp, err := get(ctx, client, base+"/v2/", "", "")
	if err != nil {
		return append(checks, Check{Name: "login", Detail: fmt.Sprintf("cannot verify the TLS certificate with the cluster CA either: %v", err), Blocking: true})
	}
	return append(checks, c.loginCheck(ctx, client, host, base, resp, username, secret))
}

// plainHTTPChecks asks a registry served over http (idpbuilder create
// --protocol http): reachable, then the login; there is no certificate.
func (c *Checker) plainHTTPChecks(ctx context.Context, host, username, secret string) []Check {
	base := "http://" + host
	client := tlsClient(nil)
	resp, err := get(ctx, client, base+"/v2/", "", "")
	if err != nil {
		return []Check{{Name: "registry", Detail: fmt.Sprintf("%s unreachable: %v", base, err), Fix: "start the cluster, and check that " + strings.Split(host, ":")[0] + " resolves to it", Blocking: true}}
	}
	checks := []Check{
		{Name: "registry", OK: true, Detail: base + "/v2/ answers"},
		{Name: "tls", OK: true, Detail: "none: the registry is served over plain http (idpbuilder create --protocol http)"},
	}
	if secret == "" {
		return checks
	}
	return append(checks, c.loginCheck(ctx, client, host, base, resp, username, secret))
}

// loginCheck follows the Bearer challenge of base's /v2/ answer to the
// token endpoint with the credentials, as the clients do.
func (c *Checker) loginCheck(ctx context.Context, client *http.Client, host, base string, resp *http.Response, username, secret string) Check {
	realm, service := bearerChallenge(resp.Header.Get("WWW-Authenticate"))
	if realm == "" {
		return Check{Name: "login", Detail: fmt.Sprintf("%s/v2/ gave no Bearer challenge (HTTP %d): is this Gitea's registry?", base, resp.StatusCode), Blocking: true}
	}
	tokenURL := realm
	if service != "" {
		tokenURL += "?service=" + url.QueryEscape(service)
	}
	resp, err := get(ctx, client, tokenURL, username, secret)
	switch {
	case err != nil:
		return Check{Name: "login", Detail: fmt.Sprintf("token endpoint unreachable: %v", err), Blocking: true}
	case resp.StatusCode == http.StatusOK:
		return Check{Name: "login", OK: true, Detail: fmt.Sprintf("the registry accepts the credentials of %s", username)}
	default:
		return Check{Name: "login", Detail: fmt.Sprintf("the registry rejects the credentials of %s (HTTP %d)", username, resp.StatusCode),
			Fix: "the password changed: run '" + cli.Name + " refresh' (or 'docker logout " + host + "' if you stored your own)", Blocking: true}
	}
}

// goVerifier names what Go clients such as crane verify a certificate
// with on goos; the system pool status uses is the same.
func goVerifier(goos string) string {
	switch goos {
	case "darwin":
		return "the macOS keychains"
	case "windows":
		return "the Windows certificate stores"
	}
	return "the system roots (or $SSL_CERT_FILE)"
}

func (c *Checker) certsDPresent(host string) string {
	var found []string
	for _, p := range []string{
		filepath.Join(c.Installer.SystemRoot+"/etc/docker/certs.d", host, "ca.crt"),
		filepath.Join(c.Installer.SystemRoot+"/etc/containers/certs.d", host, "ca.crt"),
		filepath.Join(c.dirs().ContainersCertsDir(), host, "ca.crt"),
	} {
		if _, err := os.Stat(p); err == nil {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		return ""
	}
	return "per-registry CA files exist for docker/containers tools: " + strings.Join(found, ", ")
}

func tlsClient(pool *x509.CertPool) *http.Client {
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, Proxy: http.ProxyFromEnvironment},
		// The token endpoint answers directly; a redirect is not followed
		// with the credentials.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func get(ctx context.Context, client *http.Client, u, user, password string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp, nil
}

// bearerChallenge reads realm and service from a WWW-Authenticate header.
func bearerChallenge(h string) (realm, service string) {
	scheme, params, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", ""
	}
	for _, p := range strings.Split(params, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		switch strings.ToLower(k) {
		case "realm":
			realm = v
		case "service":
			service = v
		}
	}
	return realm, service
}
