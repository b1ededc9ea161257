//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Fault tests: each breaks one thing the helper depends on, on the real rig,
// and measures the worst-case latency of get over a few runs.

const faultRuns = 5

// slowProxy is a TCP proxy on loopback in front of the API server that
// holds every new connection for a while before it forwards a byte.
type slowProxy struct {
	url string
	// accepted counts the connections clients opened to the proxy.
	accepted atomic.Int64
}

func startSlowProxy(t *testing.T, target string, hold time.Duration) *slowProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("the API server %q is not on loopback", target)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	stop := make(chan struct{})
	p := &slowProxy{url: "https://" + l.Addr().String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.accepted.Add(1)
			track(c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				select {
				case <-time.After(hold):
				case <-stop:
					return
				}
				up, err := net.Dial("tcp", u.Host)
				if err != nil {
					return
				}
				track(up)
				defer up.Close()
				go func() { io.Copy(up, c); up.Close() }()
				io.Copy(c, up)
			}()
		}
	}()
	t.Cleanup(func() {
		close(stop)
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return p
}

// rigToken is the admin token of the rig's kubeconfig.
func rigToken(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(theRig.env["RIG_KUBECONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s+token: (\S+)$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no token in the rig's kubeconfig")
	}
	return string(m[1])
}

// kubeconfigCopy writes a kubeconfig for context kind-localdev with the
// given server (empty: the rig's), token (empty: the rig's admin token) and
// CA PEM (empty: the rig's CA).
func kubeconfigCopy(t *testing.T, server, token, caPEM string) string {
	t.Helper()
	if server == "" {
		server = theRig.env["KUBE_API_URL"]
	}
	if token == "" {
		token = rigToken(t)
	}
	if caPEM == "" {
		ca, err := os.ReadFile(theRig.env["KUBE_CA_FILE"])
		if err != nil {
			t.Fatal(err)
		}
		caPEM = string(ca)
	}
	kc := `apiVersion: v1
kind: Config
clusters:
- name: kind-localdev
  cluster:
    server: ` + server + `
    certificate-authority-data: ` + base64.StdEncoding.EncodeToString([]byte(caPEM)) + `
users:
- name: kind-localdev
  user:
    token: ` + token + `
contexts:
- name: kind-localdev
  context:
    cluster: kind-localdev
    user: kind-localdev
current-context: kind-localdev
`
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	// A kubeconfig written this very moment is read again by the next
	// get (clusterid's racy window, 50 ms): tests that count reads start
	// past it, as a user's kubeconfig is.
	time.Sleep(60 * time.Millisecond)
	return path
}

// otherCA is a fresh self-signed CA, as a recreated cluster would have.
func otherCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "another-cluster-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// failsInOneLine runs get faultRuns times and checks each fails with one
// line holding want, within bound; it returns the worst latency.
func failsInOneLine(t *testing.T, u *user, want string, bound time.Duration) time.Duration {
	t.Helper()
	var worst time.Duration
	for i := 0; i < faultRuns; i++ {
		res := u.helper(theRig.registry, "get")
		if res.code != 1 || strings.Count(res.stdout, "\n") != 1 || res.stderr != "" || !strings.Contains(res.stdout, want) {
			t.Fatalf("get: exit %d, stdout %q, stderr %q; want exit 1 and one line with %q", res.code, res.stdout, res.stderr, want)
		}
		if strings.Contains(res.stdout, theRig.canary) {
			t.Fatal("the password is in the error")
		}
		worst = max(worst, res.elapsed)
		if i == 0 {
			t.Logf("error line: %s", strings.TrimSpace(res.stdout))
		}
	}
	if worst > bound {
		t.Errorf("worst get took %s, bound %s", worst, bound)
	}
	return worst
}

// answers runs get faultRuns times and checks each answers with the
// cluster's password within bound; it returns the worst latency.
func answers(t *testing.T, u *user, bound time.Duration) time.Duration {
	t.Helper()
	var worst time.Duration
	for i := 0; i < faultRuns; i++ {
		res := u.helper(theRig.registry, "get")
		var a answer
		if res.code != 0 || json.Unmarshal([]byte(res.stdout), &a) != nil || a.Secret != theRig.canary {
			t.Fatalf("get %d: exit %d, stdout %d bytes, stderr %q", i, res.code, len(res.stdout), res.stderr)
		}
		worst = max(worst, res.elapsed)
	}
	if worst > bound {
		t.Errorf("worst get took %s, bound %s", worst, bound)
	}
	return worst
}

func TestFaultAPIServerSlow(t *testing.T) {
	r := theRig
	p := startSlowProxy(t, r.env["KUBE_API_URL"], 30*time.Second)
	const deadline = 2 * time.Second
	u := r.newUser(t, "KUBECONFIG="+kubeconfigCopy(t, p.url, "", ""), "IDPBUILDER_HELPER_TIMEOUT=2s")
	recordRegistry(t, u)
	// Either program may be the one to see the deadline pass: on a loaded
	// machine the helper's own clock can run out before the companion's.
	worst := failsInOneLine(t, u, "before the deadline", deadline+time.Second)
	t.Logf("FIGURE slow API server, no cache: %d gets failed in one line, worst %s (deadline %s)", faultRuns, worst.Round(time.Millisecond), deadline)

	// With an entry cached from this cluster, the slow server means the
	// stale entry is served once the deadline passes.
	direct := r.newUser(t, "KUBECONFIG="+kubeconfigCopy(t, "", "", ""))
	recordRegistry(t, direct)
	direct.get(r.registry)
	slowCached := direct.with("KUBECONFIG="+kubeconfigCopy(t, p.url, "", ""), "IDPBUILDER_HELPER_TIMEOUT=2s", "IDPBUILDER_HELPER_FRESH=0s")
	// The proxy URL is another server, so another fingerprint: the stale
	// entry of the direct URL must not be served for it.
	res := slowCached.helper(r.registry, "get")
	if res.code != 1 || strings.Contains(res.stdout, r.canary) {
		t.Fatalf("a cache entry from another server URL was served: exit %d", res.code)
	}
	t.Logf("cache entry of another server URL not served (exit 1 in %s)", res.elapsed.Round(time.Millisecond))
}

func TestFaultTokenRevoked(t *testing.T) {
	r := theRig
	u := r.newUser(t, "KUBECONFIG="+kubeconfigCopy(t, "", "revoked-"+randomHex(16), ""), "IDPBUILDER_HELPER_NO_CACHE=1")
	recordRegistry(t, u)
	worst := failsInOneLine(t, u, "401 Unauthorized", 3*time.Second)
	t.Logf("FIGURE token revoked: %d gets failed with the 401 line, worst %s", faultRuns, worst.Round(time.Millisecond))
}

func TestFaultCAChanged(t *testing.T) {
	r := theRig
	u := r.newUser(t, "KUBECONFIG="+kubeconfigCopy(t, "", "", otherCA(t)))
	recordRegistry(t, u)
	worst := failsInOneLine(t, u, "certificate", 3*time.Second)
	t.Logf("FIGURE API server CA changed, kubeconfig not updated: %d gets failed in one line, worst %s", faultRuns, worst.Round(time.Millisecond))
}

func TestFaultSecretServiceAbsent(t *testing.T) {
	r := theRig
	u := r.newUser(t, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	recordRegistry(t, u)
	worst := answers(t, u, 3*time.Second)
	t.Logf("FIGURE no Secret Service (dead D-Bus socket): %d gets answered from the cluster, worst %s", faultRuns, worst.Round(time.Millisecond))
	res := u.helper(`{"ServerURL":"`+r.registry+`","Username":"me","Secret":"typed-by-hand"}`, "store")
	if res.code != 1 || strings.Count(res.stdout, "\n") != 1 || !strings.Contains(res.stdout, "never written to a file") {
		t.Fatalf("store without a keyring: %+v", res)
	}
}

// TestFaultKeyringKilled runs in keyring sessions of its own (a second
// hack/with-keyring.sh each), so killing their gnome-keyring-daemon leaves
// the suite's session alone. Killed, D-Bus starts a new daemon on the next
// call (as on a desktop); frozen (SIGSTOP), the daemon holds its bus name and
// never answers, so every keyring call runs into its deadline.
func TestFaultKeyringKilled(t *testing.T) {
	t.Run("killed", func(t *testing.T) { keyringKilled(t) })
	t.Run("frozen", func(t *testing.T) { keyringFrozen(t) })
}

func keyringFrozen(t *testing.T) {
	r := theRig
	bus := privateKeyringSession(t, true)
	u := r.newUser(t, "DBUS_SESSION_BUS_ADDRESS="+bus, "IDPBUILDER_HELPER_KEYRING_TIMEOUT=1s")
	recordRegistry(t, u)
	u.get(r.registry)
	owners := secretsOwners(bus)
	if len(owners) != 1 {
		t.Fatalf("gnome-keyring-daemon of the private session: PIDs %v", owners)
	}
	if err := syscall.Kill(owners[0], syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The cleanup of the session kills it (SIGKILL ends a stopped process).
	// The read runs into its deadline (1 s); keyring.Cache then stays off
	// for the rest of the call, so the write is not tried.
	worst := answers(t, u.with("IDPBUILDER_HELPER_FRESH=0s"), 2500*time.Millisecond)
	t.Logf("FIGURE keyring daemon frozen (SIGSTOP): %d gets answered from the cluster, worst %s (keyring timeout 1s)", faultRuns, worst.Round(time.Millisecond))
}

// privateKeyringSession starts hack/with-keyring.sh around a sleep and
// returns its bus address; everything it started is stopped at cleanup.
func privateKeyringSession(t *testing.T, activation bool) string {
	t.Helper()
	session := exec.Command(filepath.Join(theRig.repo, "hack", "with-keyring.sh"), "bash", "-c", `echo "$DBUS_SESSION_BUS_ADDRESS"; exec sleep 600`)
	session.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Its own data folder, also for a daemon D-Bus activates after the
	// kill (dbus-daemon passes its environment on), and nothing of the
	// suite's session.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GNOME_KEYRING_") && !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") &&
			!strings.HasPrefix(kv, "XDG_DATA_HOME=") && !strings.HasPrefix(kv, "XDG_DATA_DIRS=") {
			session.Env = append(session.Env, kv)
		}
	}
	session.Env = append(session.Env, "XDG_DATA_HOME="+t.TempDir())
	if !activation {
		// The session bus finds service files under $XDG_DATA_DIRS only.
		session.Env = append(session.Env, "XDG_DATA_DIRS="+t.TempDir())
	}
	stdout, err := session.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	session.Stderr = os.Stderr
	if err := session.Start(); err != nil {
		t.Fatal(err)
	}
	bus, err := bufio.NewReader(stdout).ReadString('\n')
	bus = strings.TrimSpace(bus)
	t.Cleanup(func() {
		// Whatever D-Bus started in the session, then the session, by PID.
		for _, pid := range secretsOwners(bus) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		syscall.Kill(-session.Process.Pid, syscall.SIGTERM)
		session.Wait()
	})
	if err != nil || !strings.HasPrefix(bus, "unix:") {
		t.Fatalf("private keyring session: %q %v", bus, err)
	}
	return bus
}

func killSecretsDaemon(t *testing.T, bus string) int {
	t.Helper()
	owners := secretsOwners(bus)
	if len(owners) != 1 {
		t.Fatalf("gnome-keyring-daemon of the private session: PIDs %v", owners)
	}
	if err := syscall.Kill(owners[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	return owners[0]
}

func keyringKilled(t *testing.T) {
	const activation = true
	r := theRig
	bus := privateKeyringSession(t, activation)
	u := r.newUser(t, "DBUS_SESSION_BUS_ADDRESS="+bus, "IDPBUILDER_HELPER_KEYRING_TIMEOUT=1s")
	recordRegistry(t, u)
	u.get(r.registry) // cached in the private keyring
	pid := killSecretsDaemon(t, bus)
	t.Logf("killed gnome-keyring-daemon PID %d of session %s", pid, bus)
	// Two keyring calls per get (read, then write the answer), 1 s each at
	// worst, plus the cluster read; FRESH=0s makes every get read the
	// cluster even if a new daemon keeps what the first get cached.
	worst := answers(t, u.with("IDPBUILDER_HELPER_FRESH=0s"), 4*time.Second)
	again := secretsOwners(bus)
	t.Logf("FIGURE keyring daemon killed between gets (activation %v): %d gets answered from the cluster, worst %s (keyring timeout 1s); secrets daemon after: %v",
		activation, faultRuns, worst.Round(time.Millisecond), again)
	if !activation || len(again) != 1 {
		return
	}
	// The new daemon is killed while a get is in flight: after the keyring
	// read, during the cluster read (held 1 s by a proxy), before the write.
	p := startSlowProxy(t, r.env["KUBE_API_URL"], time.Second)
	slow := u.with("KUBECONFIG="+kubeconfigCopy(t, p.url, "", ""), "IDPBUILDER_HELPER_FRESH=0s", "IDPBUILDER_HELPER_NO_CACHE=")
	cmd := exec.Command(fullHelper(), "get")
	cmd.Env, cmd.Dir, cmd.Stdin = slow.env, slow.home, strings.NewReader(r.registry)
	var out bytes.Buffer
	cmd.Stdout = &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	killSecretsDaemon(t, bus)
	err := cmd.Wait()
	elapsed := time.Since(start)
	var a answer
	if err != nil || json.Unmarshal(out.Bytes(), &a) != nil || a.Secret != r.canary {
		t.Fatalf("get with the daemon killed while it ran: %v, %d bytes out", err, out.Len())
	}
	if elapsed > 1*time.Second+2*time.Second {
		t.Errorf("get took %s", elapsed)
	}
	t.Logf("FIGURE keyring daemon killed during a get (cluster read held 1s): answered in %s", elapsed.Round(time.Millisecond))
}

// secretsOwners asks the session bus which process owns
// org.freedesktop.secrets.
func secretsOwners(bus string) []int {
	if bus == "" {
		return nil
	}
	out, err := exec.Command("dbus-send", "--bus="+bus, "--print-reply", "--dest=org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus.GetConnectionUnixProcessID", "string:org.freedesktop.secrets").Output()
	if err != nil {
		return nil
	}
	m := regexp.MustCompile(`uint32 (\d+)`).FindSubmatch(out)
	if m == nil {
		return nil
	}
	pid, _ := strconv.Atoi(string(m[1]))
	return []int{pid}
}
