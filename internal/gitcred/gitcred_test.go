package gitcred

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     Request
		wantErr  string
		notInErr string
	}{
		{name: "git's get", in: "protocol=https\nhost=gitea.cnoe.localtest.me:8443\n\n",
			want: Request{Protocol: "https", Host: "gitea.cnoe.localtest.me:8443"}},
		{name: "end of input ends it", in: "protocol=https\nhost=h",
			want: Request{Protocol: "https", Host: "h"}},
		{name: "blank line ends it", in: "protocol=https\n\nhost=h\n",
			want: Request{Protocol: "https"}},
		{name: "CRLF", in: "protocol=https\r\nhost=h\r\n\r\n",
			want: Request{Protocol: "https", Host: "h"}},
		{name: "path and user", in: "protocol=https\nhost=h\npath=giteaAdmin/r.git\nusername=u\npassword=p=q\n",
			want: Request{Protocol: "https", Host: "h", Path: "giteaAdmin/r.git", Username: "u", Password: "p=q"}},
		{name: "later wins", in: "host=a\nhost=b\n", want: Request{Host: "b"}},
		{name: "unknown keys ignored", in: "protocol=https\ncapability[]=authtype\nwwwauth[]=Basic realm=\"x\"\npassword_expiry_utc=1\nhost=h\n",
			want: Request{Protocol: "https", Host: "h"}},
		{name: "url", in: "url=https://me@h:8443/o/r.git\n",
			want: Request{Protocol: "https", Host: "h:8443", Path: "o/r.git", Username: "me"}},
		{name: "url resets parts", in: "path=x\nusername=y\nurl=https://h\n",
			want: Request{Protocol: "https", Host: "h"}},
		{name: "empty value", in: "username=\n", want: Request{}},
		{name: "empty input", in: "", want: Request{}},
		{name: "no =", in: "protocol=https\nhost\n", wantErr: "without '='"},
		{name: "a lone password is not echoed", in: "protocol=https\nhunter2-lone-line\n", wantErr: "without '='", notInErr: "hunter2"},
		{name: "empty key", in: "=x\n", wantErr: "empty key"},
		{name: "NUL", in: "host=h\x00evil\n", wantErr: "NUL"},
		{name: "bad url", in: "url=::nope\n", wantErr: "url="},
		{name: "long line", in: "password=" + strings.Repeat("x", MaxLine) + "\n", wantErr: "longer than"},
		{name: "long input", in: strings.Repeat("k="+strings.Repeat("x", 1000)+"\n", MaxInput/1000), wantErr: "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrSyntax) {
					t.Fatalf("Parse = %+v, %v; want error %q", got, err, tt.wantErr)
				}
				if tt.notInErr != "" && strings.Contains(err.Error(), tt.notInErr) {
					t.Fatalf("the error quotes the input: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	var b bytes.Buffer
	if err := (Request{Username: "giteaAdmin", Password: "p=w d"}).Write(&b); err != nil || b.String() != "username=giteaAdmin\npassword=p=w d\n" {
		t.Fatalf("Write = %q, %v", b.String(), err)
	}
	for _, bad := range []string{"a\nhost=evil", "a\x00", "a\r"} {
		b.Reset()
		err := (Request{Username: "u", Password: bad}).Write(&b)
		if err == nil || b.Len() > 0 || strings.Contains(err.Error(), bad) {
			t.Errorf("Write(%q) = %q, %v", bad, b.String(), err)
		}
	}
}

// Fakes for the helper: an in-memory cache and a cluster that counts reads.

const ours = idpbuilder.DefaultRegistry

type fixture struct {
	h       *helper.Helper
	cache   *fakes.Cache
	cluster *fakes.Cluster
	debug   *strings.Builder
}

func newFixture(regs map[string]config.Registry) *fixture {
	if regs == nil {
		regs = map[string]config.Registry{ours: {}}
	}
	f := &fixture{cache: fakes.NewCache(), cluster: &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "cluster-pw"}}, debug: &strings.Builder{}}
	f.h = &helper.Helper{
		Table:    &config.Table{Registries: regs},
		Cache:    f.cache,
		Source:   fakes.Source{Cluster: f.cluster},
		Settings: config.DefaultSettings(),
		Debugf:   func(format string, args ...any) { f.debug.WriteString(format + "\n") },
	}
	return f
}

func (f *fixture) serve(t *testing.T, op, in string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Serve(f.h, op, strings.NewReader(in), &out)
	return out.String(), err
}

func TestGet(t *testing.T) {
	tests := []struct {
		name string
		regs map[string]config.Registry
		in   string
		want string
	}{
		{name: "ours", in: "protocol=https\nhost=gitea.cnoe.localtest.me:8443\n\n", want: "username=giteaAdmin\npassword=cluster-pw\n"},
		{name: "upper case, path", in: "protocol=HTTPS\nhost=GITEA.cnoe.localtest.me:8443\npath=giteaAdmin/x.git\n", want: "username=giteaAdmin\npassword=cluster-pw\n"},
		{name: "same user in the URL", in: "protocol=https\nhost=gitea.cnoe.localtest.me:8443\nusername=giteaadmin\n", want: "username=giteaAdmin\npassword=cluster-pw\n"},
		{name: "another user", in: "protocol=https\nhost=gitea.cnoe.localtest.me:8443\nusername=someone\n"},
		{name: "foreign host", in: "protocol=https\nhost=github.com\n"},
		{name: "port differs", in: "protocol=https\nhost=gitea.cnoe.localtest.me\n"},
		{name: "plain http", in: "protocol=http\nhost=gitea.cnoe.localtest.me:8443\n"},
		{name: "ssh", in: "protocol=ssh\nhost=gitea.cnoe.localtest.me:8443\n"},
		{name: "no host", in: "protocol=https\n"},
		{name: "http configured", regs: map[string]config.Registry{"gitea.local": {Protocol: "http"}},
			in: "protocol=http\nhost=gitea.local:80\n", want: "username=giteaAdmin\npassword=cluster-pw\n"},
		{name: "https refused for an http registry", regs: map[string]config.Registry{"gitea.local": {Protocol: "http"}},
			in: "protocol=https\nhost=gitea.local\n"},
		{name: "default port spelled out", regs: map[string]config.Registry{"gitea.example": {}},
			in: "protocol=https\nhost=gitea.example:443\n", want: "username=giteaAdmin\npassword=cluster-pw\n"},
		{name: "default port left out", regs: map[string]config.Registry{"gitea.example:443": {}},
			in: "protocol=https\nhost=gitea.example\n", want: "username=giteaAdmin\npassword=cluster-pw\n"},
		{name: "IPv6", regs: map[string]config.Registry{"[::1]:8443": {}},
			in: "protocol=https\nhost=[::1]:8443\n", want: "username=giteaAdmin\npassword=cluster-pw\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(tt.regs)
			out, err := f.serve(t, OpGet, tt.in)
			if err != nil || out != tt.want {
				t.Fatalf("get = %q, %v; want %q", out, err, tt.want)
			}
			if tt.want == "" && f.cluster.Reads() > 0 && !strings.Contains(tt.name, "another user") {
				t.Fatalf("a request that is not ours read the cluster")
			}
		})
	}
}

func TestHTTPRefusalIsExplainedOnlyInDebug(t *testing.T) {
	f := newFixture(nil)
	if out, err := f.serve(t, OpGet, "protocol=http\nhost=gitea.cnoe.localtest.me:8443\n"); out != "" || err != nil {
		t.Fatalf("get = %q, %v", out, err)
	}
	if !strings.Contains(f.debug.String(), "plain http") {
		t.Fatalf("debug = %q", f.debug.String())
	}
}

func TestGetSharesTheCacheRules(t *testing.T) {
	f := newFixture(nil)
	req := "protocol=https\nhost=gitea.cnoe.localtest.me:8443\n"
	f.serve(t, OpGet, req)
	f.serve(t, OpGet, req)
	if f.cluster.Reads() != 1 {
		t.Fatalf("reads = %d, want 1: the second get is a cache hit", f.cluster.Reads())
	}
	// The same keyring entry docker uses.
	if u, p, err := f.h.Get(ours); err != nil || u != "giteaAdmin" || p != "cluster-pw" || f.cluster.Reads() != 1 {
		t.Fatalf("docker get = %q %q %v after %d reads", u, p, err, f.cluster.Reads())
	}
	// A recreated cluster: new fingerprint, new password, no stale answer.
	f.cluster.Recreate("fp2")
	f.cluster.Creds.Password = "recreated-pw"
	if out, _ := f.serve(t, OpGet, req); out != "username=giteaAdmin\npassword=recreated-pw\n" {
		t.Fatalf("after recreate get = %q", out)
	}
	// A cluster that cannot be read and no usable cache: an error for stderr.
	f.cluster.Recreate("fp3")
	f.cluster.SecretErr = idpbuilder.ErrUnreachable
	if out, err := f.serve(t, OpGet, req); out != "" || err == nil {
		t.Fatalf("get with the cluster down = %q, %v", out, err)
	}
}

func TestStore(t *testing.T) {
	req := "protocol=https\nhost=gitea.cnoe.localtest.me:8443\n"
	t.Run("our own answer stays a cluster entry", func(t *testing.T) {
		f := newFixture(nil)
		f.serve(t, OpGet, req)
		if _, err := f.serve(t, OpStore, req+"username=giteaAdmin\npassword=cluster-pw\n"); err != nil {
			t.Fatal(err)
		}
		if e := f.cache.Entries[ours]; e.Login != nil || len(e.Users) != 0 || e.Fingerprint != "fp1" {
			t.Fatalf("entry after store = %+v", e)
		}
		// ... so it follows the next recreate.
		f.cluster.Recreate("fp2")
		f.cluster.Creds.Password = "new-pw"
		if out, _ := f.serve(t, OpGet, req); !strings.Contains(out, "password=new-pw\n") {
			t.Fatalf("get = %q", out)
		}
	})
	t.Run("a password typed for the cluster's user is the login, docker's too", func(t *testing.T) {
		f := newFixture(nil)
		if _, err := f.serve(t, OpStore, req+"username=giteaAdmin\npassword=typed-pw\n"); err != nil {
			t.Fatal(err)
		}
		if e := f.cache.Entries[ours]; e.Login == nil || e.Login.Secret != "typed-pw" || e.Login.Fingerprint != "fp1" || len(e.Users) != 0 {
			t.Fatalf("entry after store = %+v", e)
		}
		if out, _ := f.serve(t, OpGet, req); out != "username=giteaAdmin\npassword=typed-pw\n" {
			t.Fatalf("get = %q", out)
		}
		if u, p, _ := f.h.Get(ours); u != "giteaAdmin" || p != "typed-pw" {
			t.Fatalf("docker get = %q %q: one cache for both", u, p)
		}
	})
	t.Run("another user's password answers only requests naming that user", func(t *testing.T) {
		f := newFixture(nil)
		alice := req + "username=alice\n"
		if out, _ := f.serve(t, OpGet, alice); out != "" {
			t.Fatalf("get for alice before her store = %q", out)
		}
		if _, err := f.serve(t, OpStore, alice+"password=alice-pw\n"); err != nil {
			t.Fatal(err)
		}
		if e := f.cache.Entries[ours]; e.Login != nil || e.Users["alice"].Secret != "alice-pw" {
			t.Fatalf("entry after alice's store = %+v", e)
		}
		if out, _ := f.serve(t, OpGet, alice); out != "username=alice\npassword=alice-pw\n" {
			t.Fatalf("get for alice = %q", out)
		}
		if out, _ := f.serve(t, OpGet, req); out != "username=giteaAdmin\npassword=cluster-pw\n" {
			t.Fatalf("get with no user = %q: alice hijacked git's default", out)
		}
		if u, p, _ := f.h.Get(ours); u != "giteaAdmin" || p != "cluster-pw" {
			t.Fatalf("docker get = %q %q: alice hijacked docker's credential", u, p)
		}
		// docker logout keeps her; git's erase of her rejected password drops her.
		if err := f.h.Delete(ours); err != nil {
			t.Fatal(err)
		}
		if out, _ := f.serve(t, OpGet, alice); out != "username=alice\npassword=alice-pw\n" {
			t.Fatalf("get for alice after docker logout = %q", out)
		}
		f.serve(t, OpErase, alice+"password=alice-pw\n")
		if out, _ := f.serve(t, OpGet, alice); out != "" {
			t.Fatalf("get for alice after her erase = %q", out)
		}
		// After a recreate her password belongs to a Gitea that is gone.
		f.serve(t, OpStore, alice+"password=alice-pw\n")
		f.cluster.Recreate("fp2")
		if out, _ := f.serve(t, OpGet, alice); out != "" || len(f.cache.Entries[ours].Users) != 0 {
			t.Fatalf("get for alice after a recreate = %q, entry %+v", out, f.cache.Entries[ours])
		}
	})
	t.Run("foreign, partial, plain http: ignored", func(t *testing.T) {
		f := newFixture(nil)
		for _, in := range []string{
			"protocol=https\nhost=github.com\nusername=u\npassword=p\n",
			req + "username=u\n",
			"protocol=http\nhost=gitea.cnoe.localtest.me:8443\nusername=u\npassword=p\n",
		} {
			if _, err := f.serve(t, OpStore, in); err != nil {
				t.Fatal(err)
			}
		}
		if len(f.cache.Entries) != 0 || f.cluster.Reads() != 0 {
			t.Fatalf("cache = %+v, reads %d", f.cache.Entries, f.cluster.Reads())
		}
	})
	t.Run("no keyring", func(t *testing.T) {
		f := newFixture(nil)
		f.h.Cache = nil
		_, err := f.serve(t, OpStore, req+"username=me\npassword=typed-pw\n")
		if err == nil || strings.Contains(err.Error(), "typed-pw") {
			t.Fatalf("store without a keyring = %v", err)
		}
		// Our own answer is not an error even without a keyring.
		if _, err := f.serve(t, OpStore, req+"username=giteaAdmin\npassword=cluster-pw\n"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestErase(t *testing.T) {
	req := "protocol=https\nhost=gitea.cnoe.localtest.me:8443\n"
	t.Run("a rejected cluster password is dropped", func(t *testing.T) {
		f := newFixture(nil)
		f.serve(t, OpGet, req)
		f.cluster.Creds.Password = "changed-pw" // same cluster, inside the fresh window
		if out, _ := f.serve(t, OpGet, req); !strings.Contains(out, "cluster-pw") {
			t.Fatalf("inside the fresh window the cache answers: %q", out)
		}
		f.serve(t, OpErase, req+"username=giteaAdmin\npassword=cluster-pw\n")
		if _, ok := f.cache.Entries[ours]; ok {
			t.Fatal("erase kept the rejected entry")
		}
		if out, _ := f.serve(t, OpGet, req); out != "username=giteaAdmin\npassword=changed-pw\n" {
			t.Fatalf("get after erase = %q", out)
		}
	})
	t.Run("a login is dropped only when it was rejected", func(t *testing.T) {
		f := newFixture(nil)
		f.cache.Entries[ours] = keyring.Entry{Login: &keyring.Credential{Username: "me", Secret: "mine", Fingerprint: "fp1", StoredAt: time.Now()}}
		f.serve(t, OpErase, req+"username=giteaAdmin\npassword=other\n")
		if _, ok := f.cache.Entries[ours]; !ok {
			t.Fatal("erase of another credential dropped the user's login")
		}
		f.serve(t, OpErase, req+"username=me\npassword=mine\n")
		if _, ok := f.cache.Entries[ours]; ok {
			t.Fatal("erase of the login kept it")
		}
	})
	t.Run("a rejected cluster password leaves the login and the users", func(t *testing.T) {
		f := newFixture(nil)
		f.serve(t, OpGet, req)
		f.serve(t, OpStore, req+"username=alice\npassword=alice-pw\n")
		f.serve(t, OpErase, req+"username=giteaAdmin\npassword=cluster-pw\n")
		if e := f.cache.Entries[ours]; e.HasCluster() || e.Users["alice"].Secret != "alice-pw" {
			t.Fatalf("entry after erase = %+v", e)
		}
	})
	t.Run("no user or password erases the host", func(t *testing.T) {
		f := newFixture(nil)
		f.serve(t, OpGet, req)
		f.serve(t, OpErase, req)
		if len(f.cache.Entries) != 0 {
			t.Fatal("erase kept the entry")
		}
	})
	t.Run("foreign host", func(t *testing.T) {
		f := newFixture(nil)
		f.serve(t, OpGet, req)
		if _, err := f.serve(t, OpErase, "protocol=https\nhost=github.com\n"); err != nil || len(f.cache.Entries) != 1 {
			t.Fatalf("erase of a foreign host: %v, cache %v", err, f.cache.Entries)
		}
	})
}

func TestServeRejectsMalformedAndIgnoresUnknownOps(t *testing.T) {
	f := newFixture(nil)
	if out, err := f.serve(t, OpGet, "protocol=https\nhost\n"); out != "" || !errors.Is(err, ErrSyntax) {
		t.Fatalf("malformed get = %q, %v", out, err)
	}
	if out, err := f.serve(t, "capabilities", "garbage\x00"); out != "" || err != nil {
		t.Fatalf("unknown op = %q, %v", out, err)
	}
}
