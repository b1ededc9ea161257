//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestManyGetsAtOnceReadTheAPIServerOnce: 64 get processes started together
// on a cold cache, as parallel pushes start them, against the real API
// server behind a counting proxy that holds each connection 300 ms so the
// processes overlap. Every answer is right, and at most 2 connections reach
// the API server.
func TestManyGetsAtOnceReadTheAPIServerOnce(t *testing.T) {
	r := theRig
	proxy := startSlowProxy(t, r.env["KUBE_API_URL"], 300*time.Millisecond)
	u := r.newUser(t, "KUBECONFIG="+kubeconfigCopy(t, proxy.url, "", ""))
	res := u.helper("", "refresh", "--registry", r.registry, "--context", "kind-localdev")
	if res.code != 0 {
		t.Fatalf("refresh --registry: %+v", res)
	}
	u.must(r.registry, fullHelper(), "erase")
	before := proxy.accepted.Load()

	const n = 64
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = u.helper(r.registry, "get")
		}()
	}
	close(start)
	wg.Wait()
	var slowest time.Duration
	for i, res := range results {
		var a answer
		if res.code != 0 {
			// A failed get's reason is on stdout, as the protocol puts it.
			t.Fatalf("process %d: exit %d, stdout %q, stderr %q", i, res.code, res.stdout, res.stderr)
		}
		if json.Unmarshal([]byte(res.stdout), &a) != nil || a.Secret != r.canary {
			t.Fatalf("process %d: exit 0 with a wrong answer (not shown: it may hold a password), stderr %q", i, res.stderr)
		}
		slowest = max(slowest, res.elapsed)
	}
	conns := proxy.accepted.Load() - before
	t.Logf("FIGURE %d concurrent gets on a cold cache: %d connections to the API server, slowest answer %s", n, conns, slowest.Round(time.Millisecond))
	if conns > 2 {
		t.Fatalf("%d connections to the API server for %d concurrent gets; want at most 2", conns, n)
	}
}

// TestConcurrentInstallsAndDockerLogins: two installs at once, over and
// over, while docker login writes its own entry for another registry in a
// loop. The docker config always parses and no entry is lost.
func TestConcurrentInstallsAndDockerLogins(t *testing.T) {
	r := theRig
	u := r.newUser(t)
	other := "127.0.0.1:" + r.port // Gitea again, under a name install does not manage
	cfgPath := filepath.Join(u.dockerConfig, "config.json")
	// No unknown keys here: docker login itself drops keys it does not know
	// when it rewrites the file (install keeps them: see install's tests).
	os.WriteFile(cfgPath, []byte(`{"credHelpers":{"gcr.io":"gcloud"}}`), 0o600)

	stop := make(chan struct{})
	var logins, loginFailures int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if res := u.run(r.canary+"\n", "docker", "login", "-u", "giteaAdmin", "--password-stdin", other); res.code == 0 {
				logins++
			} else {
				loginFailures++
			}
		}
	}()
	var parseFailures []string
	checkParses := func() {
		data, err := os.ReadFile(cfgPath)
		var v map[string]any
		if err != nil || json.Unmarshal(data, &v) != nil {
			parseFailures = append(parseFailures, string(data))
		}
	}
	const rounds = 10
	for i := 0; i < rounds; i++ {
		var iw sync.WaitGroup
		codes := make([]int, 2)
		for j := range codes {
			iw.Add(1)
			go func() {
				defer iw.Done()
				codes[j] = u.helper("", "install", "--git=false").code
			}()
		}
		for k := 0; k < 20; k++ {
			checkParses()
			time.Sleep(5 * time.Millisecond)
		}
		iw.Wait()
		if codes[0] != 0 || codes[1] != 0 {
			t.Fatalf("round %d: install exit codes %v", i, codes)
		}
	}
	close(stop)
	wg.Wait()
	data, _ := os.ReadFile(cfgPath)
	var final struct {
		CredHelpers map[string]string          `json:"credHelpers"`
		Auths       map[string]json.RawMessage `json:"auths"`
	}
	if err := json.Unmarshal(data, &final); err != nil {
		t.Fatalf("final config does not parse: %v\n%s", err, data)
	}
	t.Logf("FIGURE %d rounds of 2 concurrent installs with %d docker logins meanwhile (%d failed): %d unparsable reads", rounds, logins, loginFailures, len(parseFailures))
	if len(parseFailures) > 0 {
		t.Fatalf("the docker config did not parse %d times, e.g. %q", len(parseFailures), parseFailures[0])
	}
	if logins == 0 {
		t.Fatal("docker login never succeeded: the test proves nothing")
	}
	if final.CredHelpers["gcr.io"] != "gcloud" || final.CredHelpers[r.registry] != "idpbuilder" {
		t.Fatalf("an entry was lost: %s", data)
	}
	if _, ok := final.Auths[other]; !ok {
		t.Fatalf("docker login's entry for %s was lost: %s", other, data)
	}
	if _, ok := final.Auths[r.registry]; ok {
		t.Fatalf("an auths entry for our registry is in the file: %s", data)
	}
}
