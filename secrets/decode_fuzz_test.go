package secrets

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/clusterid"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// cannedConfig is a test-only seam: a transport that answers every
// request with one canned body, so the decoding of the API server's answers
// is fuzzed without a network.
type cannedConfig struct {
	status int
	body   []byte
}

func (c cannedConfig) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: c.status, Status: http.StatusText(c.status),
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(bytes.NewReader(c.body)),
		Request: req,
	}, nil
}

func cannedCluster(status int, body []byte) *Cluster {
	return &Cluster{ref: clusterid.ID{Context: "kind-localdev", Server: "https://127.0.0.1:6443", Fingerprint: "fp"},
		cfg: &rest.Config{Host: "https://127.0.0.1:6443", Transport: cannedConfig{status: status, body: body}}}
}

func oneLine(t *testing.T, what string, err error) {
	t.Helper()
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Fatalf("%s: error is not one line: %q", what, err)
	}
}

// FuzzSecretDecode gives ReadSecret any answer body: no panic, errors are
// one line and never hold the password the body carries, and a success has
// both keys.
func FuzzSecretDecode(f *testing.F) {
	pw := b64([]byte("s3cret-pw"))
	for _, s := range []string{
		`{"kind":"Secret","data":{"username":"` + b64([]byte("giteaAdmin")) + `","password":"` + pw + `"}}`,
		`{"data":{"password":"` + pw + `"}}`,
		`{"data":{"username":"!!notbase64","password":"` + pw + `"}}`,
		`{"data":null}`, `{"data":{"username":1}}`, `[]`, `null`, "\x00\xff", `{"data":{"username":"Z2l0ZWE=","password":"","extra":"eA=="},"metadata":{"x":1}}`,
	} {
		f.Add(200, []byte(s))
	}
	f.Add(500, []byte(`{"message":"s3cret-pw"}`))
	f.Add(401, []byte(`{}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			status = 200
		}
		creds, err := cannedCluster(status, body).ReadSecret(context.Background(), idpbuilder.SecretRef{Namespace: "gitea", Name: "gitea-credential"})
		if err != nil {
			oneLine(t, "ReadSecret", err)
			// Whatever password the body would give must not be echoed.
			var s secretObject
			if jsonOK(body, &s) {
				if p := string(s.Data["password"]); len(p) >= 4 && strings.Contains(err.Error(), p) {
					t.Fatalf("the password %q is in the error %q", p, err)
				}
			}
			for _, word := range strings.FieldsFunc(string(body), func(r rune) bool { return r == '"' || r == ':' || r == ',' || r == '{' || r == '}' }) {
				if len(word) >= 12 && strings.Contains(err.Error(), word) && !strings.Contains("gitea/gitea-credential kind-localdev https://127.0.0.1:6443", word) {
					t.Fatalf("the server's text %q is in the error %q", word, err)
				}
			}
			return
		}
		if status != 200 {
			t.Fatalf("status %d accepted", status)
		}
		if creds.Username == "" || creds.Password == "" {
			t.Fatalf("success without both keys: %+v", creds)
		}
	})
}

// FuzzLocalbuildDecode gives Localbuilds any answer body: no panic, errors
// are one line, and each item decoded keeps its strings as sent.
func FuzzLocalbuildDecode(f *testing.F) {
	for _, s := range []string{
		`{"items":[{"metadata":{"name":"localdev"},"spec":{"buildCustomization":{"protocol":"https","host":"cnoe.localtest.me","port":"8443","usePathRouting":false,"selfSignedCert":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}},"status":{"gitea":{"externalURL":"https://gitea.cnoe.localtest.me:8443"}}}]}`,
		`{"items":[]}`, `{"items":null}`, `{"items":[{}, {"spec":null}]}`, `{"items":[{"spec":{"buildCustomization":{"port":8443}}}]}`,
		`{"kind":"LocalbuildList","items":[{"metadata":{"name":"a","uid":"x"},"spec":{"buildCustomization":{"ingressHost":"IDP.example","usePathRouting":true}}}],"extra":[1]}`,
		"\x00", `{"items":{}}`,
	} {
		f.Add(200, []byte(s))
	}
	f.Add(404, []byte(`{"kind":"Status"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			status = 200
		}
		builds, err := cannedCluster(status, body).Localbuilds(context.Background())
		if err != nil {
			oneLine(t, "Localbuilds", err)
			if status == 404 && !errors.Is(err, idpbuilder.ErrNoLocalbuildResource) {
				t.Fatalf("404 gave %v", err)
			}
			return
		}
		if status != 200 {
			t.Fatalf("status %d accepted", status)
		}
		var list localbuildList
		if !jsonOK(body, &list) || len(list.Items) != len(builds) {
			t.Fatalf("%d items decoded from %q", len(builds), body)
		}
	})
}

// FuzzResolve loads any kubeconfig: no panic, errors are one line, and a
// resolved context has a 32-hex-digit fingerprint.
func FuzzResolve(f *testing.F) {
	ca := base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	for _, s := range []string{
		"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\n    certificate-authority-data: " + ca + "\nusers:\n- name: u\n  user:\n    token: tok-123456\ncontexts:\n- name: kind-localdev\n  context:\n    cluster: c\n    user: u\ncurrent-context: kind-localdev\n",
		"apiVersion: v1\nkind: Config\ncontexts:\n- name: x\n  context:\n    cluster: missing\ncurrent-context: x\n",
		"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://h\n    certificate-authority: /nonexistent/ca.crt\ncontexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n",
		"{}", "", "\t: -", "clusters: 3",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "kubeconfig")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Resolve(path, "")
		if err != nil {
			// Whatever the input, even invalid UTF-8: errors quote no YAML.
			oneLine(t, "Resolve", err)
			return
		}
		if len(c.Fingerprint()) != 32 || strings.Trim(c.Fingerprint(), "0123456789abcdef") != "" {
			t.Fatalf("fingerprint %q", c.Fingerprint())
		}
	})
}

func jsonOK(data []byte, v any) bool { return json.Unmarshal(data, v) == nil }
