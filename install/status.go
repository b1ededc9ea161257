package install

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/gitconfig"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// Check is one line of status.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	// Fix says, in one sentence, what to do when the check failed.
	Fix string `json:"fix,omitempty"`
	// Blocking marks a failure that makes the registry unusable.
	Blocking bool `json:"blocking,omitempty"`
}

// RegistryStatus is the status of one registry.
type RegistryStatus struct {
	Host   string  `json:"host"`
	Usable bool    `json:"usable"`
	Checks []Check `json:"checks"`
}

// StatusReport is what `status` prints.
type StatusReport struct {
	Config     string           `json:"config"`
	Registries []RegistryStatus `json:"registries"`
}

// Usable is true when every registry can be used.
func (r StatusReport) Usable() bool {
	for _, reg := range r.Registries {
		if !reg.Usable {
			return false
		}
	}
	return len(r.Registries) > 0
}

// Status checks every registry in the helper's table. It never returns or
// prints the password.
func (in *Installer) Status(opts Options) (StatusReport, error) {
	table, err := in.loadTable()
	if err != nil {
		return StatusReport{}, err
	}
	rep := StatusReport{Config: table.Path}
	if !table.FromFile {
		rep.Config += " (absent: built-in default)"
	}
	for _, host := range table.Hosts() {
		rep.Registries = append(rep.Registries, in.statusOf(table, host, opts))
	}
	return rep, nil
}

func (in *Installer) statusOf(table *config.Table, host string, opts Options) RegistryStatus {
	st := RegistryStatus{Host: host}
	add := func(c Check) { st.Checks = append(st.Checks, c) }
	_, reg, _ := table.Lookup(host)

	var clusterCA string
	var username, secret string
	kc, err := in.Resolve(reg.Kubeconfig, reg.Context)
	if err != nil {
		add(Check{Name: "cluster", Detail: err.Error(), Fix: "create the cluster with idpbuilder, or record the right context with 'docker-credential-idpbuilder install --context NAME'", Blocking: true})
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), in.Settings.Timeout)
		creds, err := kc.ReadSecret(ctx, reg.Namespace, reg.Secret)
		if err != nil {
			add(Check{Name: "secret", Detail: err.Error(), Fix: "start the cluster (idpbuilder create) or grant 'get' on the secret", Blocking: true})
		} else {
			username, secret = creds.Username, creds.Password
			add(Check{Name: "secret", OK: true, Detail: fmt.Sprintf("%s/%s readable in context %s (user %s)", reg.Namespace, reg.Secret, kc.Context(), creds.Username)})
		}
		if builds, err := kc.Localbuilds(ctx); err == nil && len(builds) > 0 {
			clusterCA = builds[0].SelfSignedCert
		}
		cancel()
		add(in.cacheCheck(host, kc))
		if l, ok := in.login(host, kc); ok {
			// What the clients get is the login, so that is what to test.
			username, secret = l.Username, l.Secret
		}
	}

	add(in.dockerWiredCheck(host, opts))
	add(in.shadowCheck(host))
	add(in.GitCheck(host, reg.Protocol))
	add(in.pathCheck())
	for _, c := range in.registryChecks(host, reg.Protocol, clusterCA, username, secret) {
		add(c)
	}
	st.Usable = true
	for _, c := range st.Checks {
		if !c.OK && c.Blocking {
			st.Usable = false
		}
	}
	return st
}

// login returns what `docker login` stored for host when it belongs to
// the cluster in use, as get would answer it.
func (in *Installer) login(host string, kc Cluster) (keyring.Credential, bool) {
	if in.Cache == nil {
		return keyring.Credential{}, false
	}
	e, ok, err := in.Cache.Get(host)
	if !ok || err != nil || e.Login == nil || e.Login.Fingerprint != kc.Fingerprint() {
		return keyring.Credential{}, false
	}
	return *e.Login, true
}

func (in *Installer) cacheCheck(host string, kc Cluster) Check {
	c := Check{Name: "cache", OK: true}
	if in.Cache == nil {
		c.Detail = "off (" + config.EnvNoCache + "): every get reads the cluster"
		return c
	}
	e, ok, err := in.Cache.Get(host)
	switch {
	case err != nil:
		c.Detail = fmt.Sprintf("no cache: %v; every get reads the cluster", err)
		c.Fix = "unlock or start the OS keyring (Secret Service) to make get faster"
	case !ok:
		c.Detail = "OS keyring reachable, no entry yet (the next get fills it)"
	case e.Login != nil && e.Login.Fingerprint == kc.Fingerprint():
		c.Detail = fmt.Sprintf("credentials stored by 'docker login' for user %s answer for this cluster; 'docker logout %s' drops them", e.Login.Username, host)
	case e.Login != nil:
		c.Detail = fmt.Sprintf("credentials stored by 'docker login' for user %s are from another cluster; the next get drops them", e.Login.Username)
	case !e.HasCluster():
		c.Detail = "OS keyring reachable, no cluster answer yet (the next get fills it)"
	case e.Fingerprint != kc.Fingerprint():
		c.Detail = "OS keyring entry from another cluster (replaced on the next get)"
	default:
		c.Detail = fmt.Sprintf("OS keyring entry for user %s, %s old", e.Username, time.Since(e.FetchedAt).Round(time.Second))
	}
	return c
}

func (in *Installer) dockerWiredCheck(host string, opts Options) Check {
	path := in.dirs().DockerConfigFile(opts.DockerConfigDir)
	c := Check{Name: "docker config", Detail: path, Fix: "run 'docker-credential-idpbuilder install'", Blocking: true}
	data, err := os.ReadFile(path)
	if err != nil {
		c.Detail = fmt.Sprintf("%s: %v", path, err)
		return c
	}
	var cfg struct {
		CredHelpers map[string]string `json:"credHelpers"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		c.Detail = fmt.Sprintf("%s is not valid JSON: %v", path, err)
		c.Fix = "fix the file's syntax, then run install"
		return c
	}
	if v := cfg.CredHelpers[host]; v != HelperName {
		c.Detail = fmt.Sprintf("%s: credHelpers[%s] is %q, not %q", path, host, v, HelperName)
		return c
	}
	c.OK, c.Fix, c.Detail = true, "", fmt.Sprintf("%s: credHelpers[%s] = %s", path, host, HelperName)
	return c
}

// shadowCheck finds a containers auth file whose auths entries for host,
// under any key form (see authKeys), would win over the docker config for
// skopeo, podman and buildah; a credHelpers entry for host in the same
// file is read first, so it wins over them.
func (in *Installer) shadowCheck(host string) Check {
	for _, f := range readConfigFiles(in.dirs().ContainersAuthFiles()) {
		if helpers, _, err := f.o.SubObject("credHelpers"); err == nil {
			var v string
			if raw, ok := helpers.Get(host); ok && json.Unmarshal(raw, &v) == nil && v == HelperName {
				continue
			}
		}
		auths, _, err := f.o.SubObject("auths")
		if err != nil {
			continue
		}
		var keys []string
		for _, k := range authKeys(auths, host) {
			if raw, _ := auths.Get(k); classifyAuth(raw, idpbuilder.Credentials{}) != authNone {
				keys = append(keys, "auths["+k+"]")
			}
		}
		if len(keys) > 0 {
			return Check{Name: "containers auth", Detail: fmt.Sprintf("%s has %s, which skopeo, podman and buildah use instead of the helper", f.path, strings.Join(keys, ", ")),
				Fix: "run 'docker-credential-idpbuilder install' (or podman logout " + host + ")"}
		}
	}
	return Check{Name: "containers auth", OK: true, Detail: "no containers auth file shadows the docker config"}
}

// registryChecks asks the registry itself: reachable, TLS trusted, and the
// credentials accepted by its token endpoint, as Gitea's clients do.
func (in *Installer) registryChecks(host, protocol, clusterCA, username, secret string) []Check {
	var checks []Check
	base := "https://" + host
	ctx, cancel := context.WithTimeout(context.Background(), in.Settings.Timeout)
	defer cancel()
	if protocol == "http" {
		return in.plainHTTPChecks(ctx, host, username, secret)
	}

	system := in.SystemRoots
	if system == nil {
		system, _ = x509.SystemCertPool() // honours SSL_CERT_FILE
	}
	if system == nil {
		system = x509.NewCertPool()
	}
	trusted := Check{Name: "tls", OK: true, Detail: "certificate trusted by the system roots"}
	_, err := in.get(ctx, tlsClient(system), base+"/v2/", "", "")
	var unverified *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unverified):
		trusted = Check{Name: "tls", Detail: "certificate signed by an authority this machine does not trust (docker push fails with x509 errors)",
			Fix: "run 'docker-credential-idpbuilder install --trust-ca'", Blocking: false}
	case err != nil:
		checks = append(checks, Check{Name: "registry", Detail: fmt.Sprintf("%s unreachable: %v", base, err), Fix: "start the cluster, and check that " + strings.Split(host, ":")[0] + " resolves to it", Blocking: true})
		return checks
	}
	checks = append(checks, Check{Name: "registry", OK: true, Detail: base + "/v2/ answers"})

	pool := system.Clone()
	if clusterCA != "" {
		pool.AppendCertsFromPEM([]byte(clusterCA))
	}
	if ok := in.certsDPresent(host); ok != "" && !trusted.OK {
		trusted.Detail += "; " + ok
	}
	checks = append(checks, trusted)

	if secret == "" {
		return checks
	}
	client := tlsClient(pool)
	resp, err := in.get(ctx, client, base+"/v2/", "", "")
	if err != nil {
		return append(checks, Check{Name: "login", Detail: fmt.Sprintf("cannot verify the TLS certificate with the cluster CA either: %v", err), Blocking: true})
	}
	return append(checks, in.loginCheck(ctx, client, host, base, resp, username, secret))
}

// plainHTTPChecks asks a registry served over http (idpbuilder create
// --protocol http): reachable, then the login; there is no certificate.
func (in *Installer) plainHTTPChecks(ctx context.Context, host, username, secret string) []Check {
	base := "http://" + host
	client := tlsClient(nil)
	resp, err := in.get(ctx, client, base+"/v2/", "", "")
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
	return append(checks, in.loginCheck(ctx, client, host, base, resp, username, secret))
}

// loginCheck follows the Bearer challenge of base's /v2/ answer to the
// token endpoint with the credentials, as the clients do.
func (in *Installer) loginCheck(ctx context.Context, client *http.Client, host, base string, resp *http.Response, username, secret string) Check {
	realm, service := bearerChallenge(resp.Header.Get("WWW-Authenticate"))
	if realm == "" {
		return Check{Name: "login", Detail: fmt.Sprintf("%s/v2/ gave no Bearer challenge (HTTP %d): is this Gitea's registry?", base, resp.StatusCode), Blocking: true}
	}
	tokenURL := realm
	if service != "" {
		tokenURL += "?service=" + url.QueryEscape(service)
	}
	resp, err := in.get(ctx, client, tokenURL, username, secret)
	switch {
	case err != nil:
		return Check{Name: "login", Detail: fmt.Sprintf("token endpoint unreachable: %v", err), Blocking: true}
	case resp.StatusCode == http.StatusOK:
		return Check{Name: "login", OK: true, Detail: fmt.Sprintf("the registry accepts the credentials of %s", username)}
	default:
		return Check{Name: "login", Detail: fmt.Sprintf("the registry rejects the credentials of %s (HTTP %d)", username, resp.StatusCode),
			Fix: "the password changed: run 'docker-credential-idpbuilder refresh' (or 'docker logout " + host + "' if you stored your own)", Blocking: true}
	}
}

func (in *Installer) certsDPresent(host string) string {
	var found []string
	for _, p := range []string{
		filepath.Join(in.SystemRoot+"/etc/docker/certs.d", host, "ca.crt"),
		filepath.Join(in.SystemRoot+"/etc/containers/certs.d", host, "ca.crt"),
		filepath.Join(in.dirs().ContainersCertsDir(), host, "ca.crt"),
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

func (in *Installer) get(ctx context.Context, client *http.Client, u, user, password string) (*http.Response, error) {
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

// WriteText prints the report for a person: one line a check, the fix under
// each failure.
func (r StatusReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "helper config: %s\n", r.Config)
	for _, reg := range r.Registries {
		verdict := "usable"
		if !reg.Usable {
			verdict = "NOT usable"
		}
		fmt.Fprintf(w, "%s: %s\n", reg.Host, verdict)
		for _, c := range reg.Checks {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
				if !c.Blocking {
					mark = "warn"
				}
			}
			fmt.Fprintf(w, "  %s %-16s %s\n", mark, c.Name, c.Detail)
			if !c.OK && c.Fix != "" {
				fmt.Fprintf(w, "       %-16s fix: %s\n", "", c.Fix)
			}
		}
	}
}

// GitCheck says whether git is configured to use the helper for host,
// served over protocol, for the status command. It never blocks: docker
// works without it.
func (in *Installer) GitCheck(host, protocol string) Check {
	url := gitconfig.URL(host, protocol)
	key := "credential." + url + ".helper"
	g, err := gitconfig.Open(in.dirs().Home(), in.Getenv)
	if err != nil {
		return Check{Name: "git", OK: true, Detail: "git is not on PATH"}
	}
	cfg, err := g.Read()
	if err != nil {
		return Check{Name: "git", Detail: err.Error(), Fix: "fix the global git config, then run 'docker-credential-idpbuilder install'"}
	}
	configured, ca := cfg.HelperFor(url)
	if !configured {
		return Check{Name: "git", Detail: fmt.Sprintf("%s is not %q: git push and clone to %s ask for a password", key, gitconfig.Helper, url),
			Fix: "run 'docker-credential-idpbuilder install' (it configures git unless --git=false)"}
	}
	detail := fmt.Sprintf("%s = %q", key, gitconfig.Helper)
	if ca != "" {
		detail += fmt.Sprintf("; http.%s.sslCAInfo = %s", url, ca)
	}
	return Check{Name: "git", OK: true, Detail: detail}
}
