package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/install"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/gitconfig"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// runInstall is the fix that most failures share.
const runInstall = "run '" + cli.Name + " install'"

// clusterFindings is what the cluster checks learnt for the registry probe:
// its CA, and the credentials the clients will send.
type clusterFindings struct {
	checks           []Check
	ca               string
	username, secret string
}

// clusterChecks resolves the host's context and reads its secret and
// Localbuild, then checks the cache against that cluster.
func (c *Checker) clusterChecks(host string, reg config.Registry) clusterFindings {
	var f clusterFindings
	in := c.Installer
	kc, err := in.Resolve(reg.Kubeconfig, reg.Context)
	if err != nil {
		f.checks = append(f.checks, Check{Name: "cluster", Detail: err.Error(),
			Fix: "create the cluster with idpbuilder, or record the right context with '" + cli.Name + " install --context NAME'", Blocking: true})
		return f
	}
	ctx, cancel := context.WithTimeout(context.Background(), in.Settings.Timeout)
	creds, err := kc.ReadSecret(ctx, reg.SecretRef())
	if err != nil {
		f.checks = append(f.checks, Check{Name: "secret", Detail: err.Error(), Fix: "start the cluster (idpbuilder create) or grant 'get' on the secret", Blocking: true})
	} else {
		f.username, f.secret = creds.Username, creds.Password
		f.checks = append(f.checks, Check{Name: "secret", OK: true,
			Detail: fmt.Sprintf("%s/%s readable in context %s (user %s)", reg.Namespace, reg.Secret, kc.Context(), creds.Username)})
	}
	if builds, err := kc.Localbuilds(ctx); err == nil && len(builds) > 0 {
		f.ca = builds[0].SelfSignedCert
	}
	f.checks = append(f.checks, sourceCheck(ctx, kc, host, reg))
	cancel()
	f.checks = append(f.checks, c.cacheCheck(host, kc.Fingerprint()))
	if l, ok := c.login(host, kc.Fingerprint()); ok {
		// What the clients get is the login, so that is what to test.
		f.username, f.secret = l.Username, l.Secret
	}
	return f
}

// login returns what `docker login` stored for host when it belongs to
// the cluster in use (its fingerprint), as get would answer it.
func (c *Checker) login(host, fingerprint string) (keyring.Credential, bool) {
	cache := c.Installer.Cache
	if cache == nil {
		return keyring.Credential{}, false
	}
	e, ok, err := cache.Get(host)
	if !ok || err != nil || e.Login == nil || e.Login.Fingerprint != fingerprint {
		return keyring.Credential{}, false
	}
	return *e.Login, true
}

func (c *Checker) cacheCheck(host, fingerprint string) Check {
	ch := Check{Name: "cache", OK: true}
	cache := c.Installer.Cache
	if cache == nil {
		ch.Detail = "off (" + config.EnvNoCache + "): every get reads the cluster"
		return ch
	}
	e, ok, err := cache.Get(host)
	switch {
	case err != nil:
		ch.Detail = fmt.Sprintf("no cache: %v; every get reads the cluster", err)
		ch.Fix = "unlock or start the OS keyring (Secret Service) to make get faster"
	case !ok:
		ch.Detail = "OS keyring reachable, no entry yet (the next get fills it)"
	case e.Login != nil && e.Login.Fingerprint == fingerprint:
		ch.Detail = fmt.Sprintf("credentials stored by 'docker login' for user %s answer for this cluster; 'docker logout %s' drops them", e.Login.Username, host)
	case e.Login != nil:
		ch.Detail = fmt.Sprintf("credentials stored by 'docker login' for user %s are from another cluster; the next get drops them", e.Login.Username)
	case !e.HasCluster():
		ch.Detail = "OS keyring reachable, no cluster answer yet (the next get fills it)"
	case e.Fingerprint != fingerprint:
		ch.Detail = "OS keyring entry from another cluster (replaced on the next get)"
	default:
		ch.Detail = fmt.Sprintf("OS keyring entry for user %s, %s old", e.Username, time.Since(e.FetchedAt).Round(time.Second))
	}
	return ch
}

// dockerCheck reads credHelpers[host] in the docker config.
func (c *Checker) dockerCheck(host, dockerConfigDir string) Check {
	path := c.dirs().DockerConfigFile(dockerConfigDir)
	ch := Check{Name: "docker config", Detail: path, Fix: runInstall, Blocking: true}
	data, err := os.ReadFile(path)
	if err != nil {
		ch.Detail = fmt.Sprintf("%s: %v", path, err)
		return ch
	}
	var cfg struct {
		CredHelpers map[string]string `json:"credHelpers"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		ch.Detail = fmt.Sprintf("%s is not valid JSON: %v", path, err)
		ch.Fix = "fix the file's syntax, then run install"
		return ch
	}
	if v := cfg.CredHelpers[host]; v != install.HelperName {
		ch.Detail = fmt.Sprintf("%s: credHelpers[%s] is %q, not %q", path, host, v, install.HelperName)
		return ch
	}
	ch.OK, ch.Fix, ch.Detail = true, "", fmt.Sprintf("%s: credHelpers[%s] = %s", path, host, install.HelperName)
	return ch
}

// shadowCheck finds a containers auth file whose credential for host would
// win over the docker config for skopeo, podman and buildah.
func (c *Checker) shadowCheck(host string) Check {
	path, keys := install.Shadowing(c.dirs().ContainersAuthFiles(), host)
	if len(keys) == 0 {
		return Check{Name: "containers auth", OK: true, Detail: "no containers auth file shadows the docker config"}
	}
	for i, k := range keys {
		keys[i] = "auths[" + k + "]"
	}
	return Check{Name: "containers auth", Detail: fmt.Sprintf("%s has %s, which skopeo, podman and buildah use instead of the helper", path, strings.Join(keys, ", ")),
		Fix: runInstall + " (or podman logout " + host + ")"}
}

// gitCheck says whether git asks the helper for host, served over
// protocol. It never blocks: docker works without it.
func (c *Checker) gitCheck(host, protocol string) Check {
	url := gitconfig.URL(host, protocol)
	key := "credential." + url + ".helper"
	g, err := gitconfig.Open(c.dirs().Home(), c.Installer.Getenv)
	if err != nil {
		return Check{Name: "git", OK: true, Detail: "git is not on PATH"}
	}
	cfg, err := g.Read()
	if err != nil {
		return Check{Name: "git", Detail: err.Error(), Fix: "fix the global git config, then " + runInstall}
	}
	configured, ca := cfg.HelperFor(url)
	if !configured {
		return Check{Name: "git", Detail: fmt.Sprintf("%s is not %q: git push and clone to %s ask for a password", key, gitconfig.Helper, url),
			Fix: runInstall + " (it configures git unless --git=false)"}
	}
	detail := fmt.Sprintf("%s = %q", key, gitconfig.Helper)
	if ca != "" {
		detail += fmt.Sprintf("; http.%s.sslCAInfo = %s", url, ca)
	}
	return Check{Name: "git", OK: true, Detail: detail}
}

// pathCheck finds the helper as docker will, and its companion.
func (c *Checker) pathCheck() Check {
	p, err := c.Installer.FindHelper()
	var pe *install.PathError
	switch {
	case errors.As(err, &pe):
		return Check{Name: "path", Detail: pe.Problem, Fix: pe.Fix, Blocking: true}
	case err != nil:
		return Check{Name: "path", Detail: err.Error(), Blocking: true}
	}
	return Check{Name: "path", OK: true, Detail: "helper on PATH: " + p}
}

// sourceCheck says where the cluster names host (a GiteaProvider, the
// Localbuild or idpbuilder's default), what discovery skipped or fell back
// from, and whether the entry reads the secret the provider names. It
// never blocks: the secret check says whether the entry works.
func sourceCheck(ctx context.Context, kc install.Cluster, host string, reg config.Registry) Check {
	d, err := install.Discover(ctx, kc)
	if err != nil {
		return Check{Name: "source", Detail: err.Error(), Fix: "correct the cluster's GiteaProvider or Localbuild, then " + runInstall}
	}
	ch := Check{Name: "source", OK: true}
	f, ok := d.Lookup(host)
	switch {
	case !ok:
		ch.Detail = "not among the cluster's registries (" + strings.Join(d.Hosts(), ", ") + "): recorded with --registry or refresh"
	case f.FromProvider():
		ch.Detail = f.Source + " (secret " + f.Secret.String() + ")"
		if reg.SecretRef() != f.Secret.WithDefaults() {
			ch.OK, ch.Fix = false, runInstall
			ch.Detail += "; the helper config reads secret " + reg.SecretRef().String()
		}
	default:
		ch.Detail = f.Source
	}
	for _, n := range d.Notes {
		ch.Detail += "; " + n.Text
	}
	return ch
}
