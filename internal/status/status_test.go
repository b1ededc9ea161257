package status

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/install"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

// rig is a user's HOME and system root that install has set up for a fake
// cluster, and the checker that looks at them.
type rig struct {
	home    string
	in      *install.Installer
	checker *Checker
	out     *bytes.Buffer
	cache   *fakes.Cache
	cluster *fakes.Cluster
}

// newRig installs kc's registries (plus registries) for a new user.
func newRig(t *testing.T, kc *fakes.Cluster, registries ...string) *rig {
	t.Helper()
	kc.FP = "fp"
	kc.Creds = idpbuilder.Credentials{Username: "giteaAdmin", Password: "install-secret-0123456789"}
	home := t.TempDir()
	env := map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, ".config"), "XDG_RUNTIME_DIR": filepath.Join(home, "run")}
	out := &bytes.Buffer{}
	cache := fakes.NewCache()
	in := &install.Installer{
		Getenv:     func(k string) string { return env[k] },
		Resolve:    func(string, string) (install.Cluster, error) { return kc, nil },
		LookPath:   func(string) (string, error) { return "/usr/local/bin/docker-credential-idpbuilder", nil },
		Cache:      cache,
		Settings:   config.DefaultSettings(),
		SystemRoot: t.TempDir(),
		Out:        out,
	}
	if err := in.Install(install.Options{Registries: registries, Git: true}); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	return &rig{home: home, in: in, checker: &Checker{Installer: in}, out: out, cache: cache, cluster: kc}
}

func requireGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
}

// giteaLikeRegistry answers /v2/ with a Bearer challenge and /v2/token
// with 200 only for the right basic-auth credentials, as Gitea does.
func giteaLikeRegistry(t *testing.T, password string) *httptest.Server {
	return giteaLike(t, password, httptest.NewTLSServer)
}

// giteaLike is giteaLikeRegistry served by start: httptest.NewServer gives
// a registry over plain http.
func giteaLike(t *testing.T, password string, start func(http.Handler) *httptest.Server) *httptest.Server {
	var srv *httptest.Server
	srv = start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/":
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/v2/token",service="container_registry",scope="*"`, srv.URL))
			w.WriteHeader(http.StatusUnauthorized)
		case "/v2/token":
			if u, p, ok := r.BasicAuth(); !ok || u != "giteaAdmin" || p != password {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, `{"token":"t"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func statusRig(t *testing.T, registryPassword string, trustCA bool) (*rig, string) {
	t.Helper()
	srv := giteaLikeRegistry(t, registryPassword)
	host := strings.TrimPrefix(srv.URL, "https://")
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	r := newRig(t, &fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", SelfSignedCert: ca}}}, host)
	r.checker.SystemRoots = x509.NewCertPool()
	if trustCA {
		r.checker.SystemRoots.AddCert(srv.Certificate())
	}
	return r, host
}

func checkOf(t *testing.T, st Registry, name string) Check {
	t.Helper()
	for _, c := range st.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %q check in %+v", name, st.Checks)
	return Check{}
}

func statusFor(t *testing.T, r *rig, host string) (Report, Registry) {
	t.Helper()
	rep, err := r.checker.Run(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range rep.Registries {
		if st.Host == host {
			return rep, st
		}
	}
	t.Fatalf("%s not in status %+v", host, rep)
	return rep, Registry{}
}

func TestStatusHealthy(t *testing.T) {
	r, host := statusRig(t, "install-secret-0123456789", true)
	rep, st := statusFor(t, r, host)
	for _, c := range st.Checks {
		if !c.OK {
			t.Errorf("check %s failed: %s", c.Name, c.Detail)
		}
	}
	if !st.Usable || checkOf(t, st, "login").Detail != "the registry accepts the credentials of giteaAdmin" {
		t.Fatalf("status: %+v", st)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	js, _ := json.Marshal(rep)
	if strings.Contains(text.String()+string(js), "install-secret") {
		t.Fatal("status shows the password")
	}
}

func TestStatusWrongPasswordAndUntrustedCA(t *testing.T) {
	r, host := statusRig(t, "the-registry-has-another-password", false)
	_, st := statusFor(t, r, host)
	if st.Usable {
		t.Fatal("a registry rejecting the credentials is usable")
	}
	login := checkOf(t, st, "login")
	if login.OK || !strings.Contains(login.Detail, "rejects the credentials") || !strings.Contains(login.Fix, "refresh") {
		t.Fatalf("login check: %+v", login)
	}
	tlsCheck := checkOf(t, st, "tls")
	if tlsCheck.OK || !strings.Contains(tlsCheck.Fix, "--trust-ca") {
		t.Fatalf("tls check: %+v", tlsCheck)
	}
}

func TestStatusFindsMissingWiringAndShadowing(t *testing.T) {
	r, host := statusRig(t, "install-secret-0123456789", true)
	// Someone logged in with podman: a plain auths entry shadows us, and the
	// docker config lost our entry.
	auth := filepath.Join(r.home, "run", "containers", "auth.json")
	os.MkdirAll(filepath.Dir(auth), 0o700)
	os.WriteFile(auth, []byte(`{"auths":{"`+host+`":{"auth":"eDp5"}}}`), 0o600)
	os.WriteFile(filepath.Join(r.home, ".docker", "config.json"), []byte(`{}`), 0o600)
	r.in.LookPath = func(string) (string, error) { return "", os.ErrNotExist }
	_, st := statusFor(t, r, host)
	for _, name := range []string{"docker config", "containers auth", "path"} {
		if c := checkOf(t, st, name); c.OK || c.Fix == "" {
			t.Errorf("%s check: %+v", name, c)
		}
	}
	if st.Usable {
		t.Fatal("unwired registry reported usable")
	}
}

func TestStatusClusterDownAndCacheStates(t *testing.T) {
	r, host := statusRig(t, "install-secret-0123456789", true)
	for _, tt := range []struct{ loginFP, want string }{
		{"fp", "answer for this cluster; 'docker logout " + host + "' drops them"},
		{"old-cluster", "from another cluster; the next get drops them"},
	} {
		r.cache.Entries[host] = keyring.Entry{Login: &keyring.Credential{Username: "me", Secret: "mine", Fingerprint: tt.loginFP}}
		_, st := statusFor(t, r, host)
		if c := checkOf(t, st, "cache"); !strings.Contains(c.Detail, "'docker login' for user me") || !strings.Contains(c.Detail, tt.want) {
			t.Fatalf("cache check with a login for %s: %+v", tt.loginFP, c)
		}
	}
	r.cluster.SecretErr = fmt.Errorf("%w: connection refused; is the idpbuilder cluster running?", idpbuilder.ErrUnreachable)
	_, st := statusFor(t, r, host)
	if c := checkOf(t, st, "secret"); c.OK || !c.Blocking || !strings.Contains(c.Detail, "is the idpbuilder cluster running?") {
		t.Fatalf("secret check with the cluster down: %+v", c)
	}
	if st.Usable {
		t.Fatal("usable with the cluster down")
	}
}

// httpStatusRig installs a path-routed http cluster whose registry is a
// plain-HTTP httptest server answering as Gitea does.
func httpStatusRig(t *testing.T, registryPassword string) (*rig, *httptest.Server, string) {
	t.Helper()
	srv := giteaLike(t, registryPassword, httptest.NewServer)
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	r := newRig(t, &fakes.Cluster{Builds: []idpbuilder.Localbuild{{Name: "localdev", Protocol: "http", Host: host, Port: port, UsePathRouting: true}}})
	return r, srv, net.JoinHostPort(host, port)
}

func TestStatusProbesAnHTTPRegistryOverHTTP(t *testing.T) {
	requireGit(t)
	r, _, host := httpStatusRig(t, "install-secret-0123456789")
	_, st := statusFor(t, r, host)
	for _, c := range st.Checks {
		if !c.OK {
			t.Errorf("check %s failed: %s", c.Name, c.Detail)
		}
	}
	if c := checkOf(t, st, "registry"); c.Detail != "http://"+host+"/v2/ answers" {
		t.Errorf("registry check: %+v", c)
	}
	if c := checkOf(t, st, "tls"); !strings.Contains(c.Detail, "plain http") {
		t.Errorf("tls check: %+v", c)
	}
	if c := checkOf(t, st, "git"); !strings.Contains(c.Detail, "credential.http://"+host+".helper") {
		t.Errorf("git check: %+v", c)
	}
	if !st.Usable || checkOf(t, st, "login").Detail != "the registry accepts the credentials of giteaAdmin" {
		t.Fatalf("status: %+v", st)
	}
}

func TestStatusOfAnHTTPRegistryRejectingOrDown(t *testing.T) {
	r, srv, host := httpStatusRig(t, "another-password")
	_, st := statusFor(t, r, host)
	if c := checkOf(t, st, "login"); c.OK || !strings.Contains(c.Detail, "rejects the credentials") || !strings.Contains(c.Fix, "docker logout "+host) || st.Usable {
		t.Fatalf("login check: %+v", c)
	}
	srv.Close()
	_, st = statusFor(t, r, host)
	if c := checkOf(t, st, "registry"); c.OK || !c.Blocking || !strings.Contains(c.Detail, "http://"+host+" unreachable") {
		t.Fatalf("registry check with the server down: %+v", c)
	}
}

// Twelve hosts of one cluster that does not answer: status asks for all
// of them at once, so the wait is one deadline, not twelve (issue 21 item
// 7: 24.7 s for 12 hosts before). The reads are counted in flight.
func TestStatusChecksHostsAtOnce(t *testing.T) {
	var hosts []string
	for i := range 12 {
		hosts = append(hosts, fmt.Sprintf("registry-%d.example:5000", i))
	}
	kc := &fakes.Cluster{}
	r := newRig(t, kc, hosts...)
	var mu sync.Mutex
	inFlight, peak := 0, 0
	kc.OnRead = func(ctx context.Context) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		<-ctx.Done()
		mu.Lock()
		inFlight--
		mu.Unlock()
	}
	kc.SecretErr = fmt.Errorf("%w: no answer", idpbuilder.ErrUnreachable)
	r.in.Settings.Timeout = time.Second
	rep, err := r.checker.Run(Options{})
	if err != nil {
		t.Fatal(err)
	}
	// In the table's order (sorted), the default registry among them.
	want := slices.Sorted(slices.Values(append([]string{"gitea.cnoe.localtest.me:8443"}, hosts...)))
	var got []string
	for _, reg := range rep.Registries {
		got = append(got, reg.Host)
		if reg.Usable {
			t.Errorf("%s usable with its cluster not answering", reg.Host)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("report's hosts %q, want %q", got, want)
	}
	if peak != len(want) {
		t.Fatalf("at most %d secret reads at once, want %d", peak, len(want))
	}
}
