package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

// fuzzSecret is the password the fake cluster holds: it may be printed only
// as the answer of a successful get, never in an error.
const fuzzSecret = "fuzz-cluster-password-7f3a9c"

// fuzzHelper is the real helper.Helper over in-memory fakes; mode picks the
// cluster's and the cache's behaviour.
func fuzzHelper(mode byte, kubeconfig string) *helper.Helper {
	cache := fakes.NewCache()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	switch mode % 4 {
	case 1: // a stale cache entry of the same cluster
		cache.Entries[idpbuilder.DefaultRegistry] = keyring.Entry{Username: "giteaAdmin", Secret: fuzzSecret, Fingerprint: "fp-1", FetchedAt: now.Add(-time.Hour)}
	case 2: // a 'docker login' override
		cache.Entries[idpbuilder.DefaultRegistry] = keyring.Entry{Login: &keyring.Credential{Username: "me", Secret: "override-pw", Fingerprint: "fp-1", StoredAt: now}}
	case 3: // a broken keyring
		cache.Err = errors.New("keyring: no answer within 3s")
	}
	var clusterErr error
	switch (mode / 4) % 4 {
	case 1:
		clusterErr = fmt.Errorf("%w: cannot reach the API server of context %q: no answer before the deadline", idpbuilder.ErrUnreachable, "kind-localdev")
	case 2:
		clusterErr = errors.New(`the API server of context "kind-localdev" rejected the kubeconfig's credentials (401 Unauthorized) reading secret gitea/gitea-credential: log in to the cluster again`)
	case 3:
		clusterErr = errors.New("secret gitea/gitea-credential not found in context \"kind-localdev\"")
	}
	table := config.DefaultTable("/nonexistent/config.json")
	table.Registries["other.example:5000"] = config.Registry{Context: "kind-other"}
	h := &helper.Helper{
		Table:    table,
		Cache:    cache,
		Settings: config.DefaultSettings(),
		Now:      func() time.Time { return now },
		Source: helper.Resolving[*fakes.Cluster](func(_, ctx string) (*fakes.Cluster, error) {
			if ctx == "kind-other" && mode&0x10 != 0 {
				return nil, fmt.Errorf("context %q not found in kubeconfig /x: is the idpbuilder cluster created? (or pass --context)", ctx)
			}
			return &fakes.Cluster{FP: "fp-1", Kubeconfig: kubeconfig, Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: fuzzSecret}, SecretErr: clusterErr}, nil
		}),
	}
	if mode&0x20 != 0 {
		h.Cache = nil
	}
	return h
}

// protocolLine is what serveProtocol prints for an error.
func protocolLine(err error) string {
	if credentials.IsErrCredentialsNotFound(err) {
		return fmt.Sprintln(err)
	}
	return fmt.Sprintf("%s: %v\n", name, err)
}

// Mode bits: 0-1 cache state, 2-3 cluster answer, 4 the second registry's
// context is missing, 5 caching off, 6 stdin repeated past 64 KiB.
//
// FuzzProtocol feeds any standard input to get, store, erase and list
// through credentials.HandleCommand and the real helper: no panic, an error
// is one line, and the cluster's password never appears in an error.
func FuzzProtocol(f *testing.F) {
	f.Add(byte(0), byte(0), []byte("gitea.cnoe.localtest.me:8443\n"))
	f.Add(byte(1), byte(0), []byte(`{"ServerURL":"gitea.cnoe.localtest.me:8443","Username":"u","Secret":"s3cret-typed"}`))
	f.Add(byte(2), byte(5), []byte("https://GITEA.cnoe.localtest.me:8443/v2/"))
	f.Add(byte(3), byte(0x14), []byte(""))
	f.Add(byte(0), byte(6), []byte("quay.io\x00\xff\xfe"))
	f.Add(byte(1), byte(3), []byte(`{"ServerURL":"quay.io","Username":"u","Secret":"hunter2","Extra":{"x":[1,2]}}`))
	f.Add(byte(1), byte(0x20), []byte(`{"Username":"u"}`))
	f.Add(byte(0), byte(0x49), []byte("gitea.cnoe.localtest.me"))
	// One kubeconfig file for every input: the fake cluster stamps it.
	kubeconfig := filepath.Join(f.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte("fake"), 0o600); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, verb, mode byte, stdin []byte) {
		action := []string{"get", "store", "erase", "list"}[verb%4]
		if mode&0x40 != 0 && len(stdin) > 0 {
			// A line longer than the protocol library's 64 KiB scanner
			// buffer, without keeping huge inputs in the corpus.
			stdin = bytes.Repeat(stdin, 70000/len(stdin)+1)
		}
		h := fuzzHelper(mode, kubeconfig)
		var out bytes.Buffer
		err := credentials.HandleCommand(h, action, bytes.NewReader(stdin), &out)
		echoed := bytes.Contains(stdin, []byte(fuzzSecret))
		if err != nil {
			line := protocolLine(err)
			if strings.Count(line, "\n") != 1 || strings.Contains(line, "\r") {
				t.Fatalf("%s: error is not one line: %q", action, line)
			}
			if !echoed && strings.Contains(line, fuzzSecret) {
				t.Fatalf("%s: the cluster's password is in the error %q", action, line)
			}
			if action == "store" {
				var c credentials.Credentials
				if json.Unmarshal(bytes.ReplaceAll(stdin, []byte("\n"), nil), &c) == nil && len(c.Secret) >= 6 &&
					!strings.Contains(c.ServerURL+c.Username, c.Secret) && strings.Contains(line, c.Secret) {
					t.Fatalf("store: the typed secret is in the error %q", line)
				}
			}
			if out.Len() > 0 {
				t.Fatalf("%s failed but printed %q", action, out.String())
			}
			return
		}
		switch action {
		case "get":
			var c credentials.Credentials
			if err := json.Unmarshal(out.Bytes(), &c); err != nil {
				t.Fatalf("get printed invalid JSON %q: %v", out.String(), err)
			}
			if _, _, ours := h.Table.Lookup(c.ServerURL); !ours {
				t.Fatalf("get answered for a foreign host %q", c.ServerURL)
			}
		case "list":
			var m map[string]string
			if err := json.Unmarshal(out.Bytes(), &m); err != nil {
				t.Fatalf("list printed invalid JSON %q: %v", out.String(), err)
			}
			if strings.Contains(out.String(), fuzzSecret) {
				t.Fatalf("list printed the password: %q", out.String())
			}
		default:
			if out.Len() > 0 {
				t.Fatalf("%s printed %q", action, out.String())
			}
		}
	})
}
