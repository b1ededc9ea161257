package helper

import (
	"reflect"
	"testing"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
	"github.com/cnoe-io/docker-credential-idpbuilder/test/fakes"
)

var (
	gitCluster = keyring.Entry{Username: "giteaAdmin", Secret: "pw", Fingerprint: "fp1", FetchedAt: now}
	gitLogin   = &keyring.Credential{Username: "me", Secret: "mine", Fingerprint: "fp1"}
	gitAlice   = keyring.Credential{Username: "Alice", Secret: "alice-pw", Fingerprint: "fp1"}
)

func gitEntry(cluster bool, login *keyring.Credential, users ...keyring.Credential) keyring.Entry {
	var e keyring.Entry
	if cluster {
		e = gitCluster
	}
	e.Login = login
	for _, u := range users {
		if e.Users == nil {
			e.Users = map[string]keyring.Credential{}
		}
		e.Users[keyring.UserKey(u.Username)] = u
	}
	return e
}

func TestEraseMatching(t *testing.T) {
	tests := []struct {
		name, user, password string
		entry                keyring.Entry
		want                 bool
		left                 keyring.Entry
	}{
		{name: "the cluster's credential", user: "giteaAdmin", password: "pw", entry: gitEntry(true, nil), want: true},
		{name: "no user or password", entry: gitEntry(true, gitLogin, gitAlice), want: true},
		{name: "password only", password: "pw", entry: gitEntry(true, nil), want: true},
		{name: "another password", user: "giteaAdmin", password: "other", entry: gitEntry(true, nil), left: gitEntry(true, nil)},
		{name: "another user", user: "me", password: "pw", entry: gitEntry(true, nil), left: gitEntry(true, nil)},
		{name: "the cluster's, login and users stay", user: "giteaAdmin", password: "pw", entry: gitEntry(true, gitLogin, gitAlice), want: true, left: gitEntry(false, gitLogin, gitAlice)},
		{name: "the login, the rest stays", user: "me", password: "mine", entry: gitEntry(true, gitLogin, gitAlice), want: true, left: gitEntry(true, nil, gitAlice)},
		{name: "a git user, any case", user: "alice", password: "alice-pw", entry: gitEntry(true, gitLogin, gitAlice), want: true, left: gitEntry(true, gitLogin)},
		{name: "a git user's old password", user: "alice", password: "older", entry: gitEntry(true, nil, gitAlice), left: gitEntry(true, nil, gitAlice)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := fakes.NewCache()
			cache.Entries[host] = tt.entry
			h := &Helper{Table: config.DefaultTable(""), Cache: cache}
			erased, err := h.EraseMatching("https://"+host, tt.user, tt.password)
			if err != nil || erased != tt.want {
				t.Fatalf("EraseMatching = %v, %v; want %v", erased, err, tt.want)
			}
			left, ok := cache.Entries[host]
			if ok != !tt.left.Empty() || !reflect.DeepEqual(left, tt.left) && ok {
				t.Fatalf("left %+v (present %v), want %+v", left, ok, tt.left)
			}
		})
	}
	h := &Helper{Table: config.DefaultTable("")}
	if erased, err := h.EraseMatching(host, "", ""); erased || err != nil {
		t.Fatalf("without a cache: %v, %v", erased, err)
	}
	if _, err := h.EraseMatching("quay.io", "", ""); !credentials.IsErrCredentialsNotFound(err) {
		t.Fatalf("foreign host: %v", err)
	}
}

// TestGitGetByUser: a user name in git's request picks git's credential for
// that user, or the normal answer when it is that user's; docker's get and
// git's without a user name never see git's other users.
func TestGitGetByUser(t *testing.T) {
	stale := gitAlice
	stale.Fingerprint = "old-cluster"
	tests := []struct {
		name      string
		entry     keyring.Entry
		user      string
		wantUser  string // "" for no answer
		wantPW    string
		wantReads int
		wantUsers int // users left in the entry
	}{
		{name: "no user: the cluster's", entry: gitEntry(true, nil, gitAlice), wantUser: "giteaAdmin", wantPW: "pw", wantUsers: 1},
		{name: "no user: the login", entry: gitEntry(true, gitLogin, gitAlice), wantUser: "me", wantPW: "mine", wantUsers: 1},
		{name: "alice: hers, with no cluster read", entry: gitEntry(false, nil, gitAlice), user: "alice", wantUser: "Alice", wantPW: "alice-pw", wantUsers: 1},
		{name: "the cluster's user", entry: gitEntry(true, nil, gitAlice), user: "GiteaAdmin", wantUser: "giteaAdmin", wantPW: "pw", wantUsers: 1},
		{name: "the login's user", entry: gitEntry(true, gitLogin), user: "me", wantUser: "me", wantPW: "mine"},
		{name: "another user: no answer", entry: gitEntry(true, gitLogin, gitAlice), user: "bob", wantUsers: 1},
		{name: "alice of another cluster: dropped, no answer", entry: gitEntry(true, nil, stale), user: "alice"},
		{name: "alice, nothing cached: the cluster is read, no answer", user: "alice", wantReads: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := fakes.NewCache()
			kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}}
			if !tt.entry.Empty() {
				cache.Entries[host] = withID(tt.entry, kc)
			}
			h := newTestHelper(cache, kc)
			u, p, err := h.GitGet(host, tt.user)
			if tt.wantUser == "" {
				if !credentials.IsErrCredentialsNotFound(err) {
					t.Fatalf("GitGet = %q, %v; want no answer", u, err)
				}
			} else if err != nil || u != tt.wantUser || p != tt.wantPW {
				t.Fatalf("GitGet = %q %q %v; want %q %q", u, p, err, tt.wantUser, tt.wantPW)
			}
			if kc.Reads() != tt.wantReads {
				t.Errorf("cluster reads = %d, want %d", kc.Reads(), tt.wantReads)
			}
			if n := len(cache.Entries[host].Users); n != tt.wantUsers {
				t.Errorf("users left = %d, want %d", n, tt.wantUsers)
			}
			// Docker never gets a git user's credential.
			if du, _, _ := h.Get(host); du == "Alice" {
				t.Errorf("docker's get answered alice")
			}
		})
	}
}

// TestGitStore: what git stores after a success. The helper's own answer
// changes nothing; the cluster's user with another password is the login
// (docker too); any other user is kept for git requests naming that user.
func TestGitStore(t *testing.T) {
	tests := []struct {
		name      string
		entry     keyring.Entry
		user, pw  string
		wantLogin *keyring.Credential
		wantUsers map[string]string // key -> secret
		wantReads int
	}{
		{name: "the cluster's answer", entry: gitEntry(true, nil), user: "giteaAdmin", pw: "pw"},
		{name: "the login", entry: gitEntry(true, gitLogin), user: "me", pw: "mine", wantLogin: gitLogin},
		{name: "alice's, already kept", entry: gitEntry(true, nil, gitAlice), user: "alice", pw: "alice-pw", wantUsers: map[string]string{"alice": "alice-pw"}},
		{name: "alice, typed at the prompt", entry: gitEntry(true, nil), user: "alice", pw: "alice-pw", wantUsers: map[string]string{"alice": "alice-pw"}},
		{name: "alice's new password", entry: gitEntry(true, gitLogin, gitAlice), user: "alice", pw: "new", wantLogin: gitLogin, wantUsers: map[string]string{"alice": "new"}},
		{name: "the cluster's user with a typed password: the login",
			entry: gitEntry(true, nil), user: "giteaadmin", pw: "typed",
			wantLogin: &keyring.Credential{Username: "giteaadmin", Secret: "typed", Fingerprint: "fp1", StoredAt: now}},
		{name: "the login's user is another user for git", entry: gitEntry(true, gitLogin), user: "me", pw: "other",
			wantLogin: gitLogin, wantUsers: map[string]string{"me": "other"}},
		{name: "nothing cached: the cluster tells its user", user: "alice", pw: "alice-pw", wantReads: 1, wantUsers: map[string]string{"alice": "alice-pw"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := fakes.NewCache()
			kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}}
			if !tt.entry.Empty() {
				cache.Entries[host] = withID(tt.entry, kc)
			}
			h := newTestHelper(cache, kc)
			if err := h.GitStore(host, tt.user, tt.pw); err != nil {
				t.Fatal(err)
			}
			e := cache.Entries[host]
			if !reflect.DeepEqual(e.Login, tt.wantLogin) {
				t.Errorf("login = %+v, want %+v", e.Login, tt.wantLogin)
			}
			users := map[string]string{}
			for k, c := range e.Users {
				users[k] = c.Secret
				if c.Fingerprint != "fp1" {
					t.Errorf("user %s kept for cluster %q", k, c.Fingerprint)
				}
			}
			if len(users) != len(tt.wantUsers) || (len(users) > 0 && !reflect.DeepEqual(users, tt.wantUsers)) {
				t.Errorf("users = %v, want %v", users, tt.wantUsers)
			}
			if kc.Reads() != tt.wantReads {
				t.Errorf("cluster reads = %d, want %d", kc.Reads(), tt.wantReads)
			}
			// Docker's answer is never a git user's.
			if u, _, _ := h.Get(host); u != "giteaAdmin" && (e.Login == nil || u != e.Login.Username) {
				t.Errorf("docker's get = %q", u)
			}
		})
	}
}

func TestGitStoreWithoutAKeyring(t *testing.T) {
	kc := &fakes.Cluster{FP: "fp1", Creds: idpbuilder.Credentials{Username: "giteaAdmin", Password: "pw"}}
	h := newTestHelper(nil, kc)
	if err := h.GitStore(host, "giteaAdmin", "pw"); err != nil {
		t.Fatalf("store of the cluster's answer without a keyring: %v", err)
	}
	if err := h.GitStore(host, "alice", "alice-pw"); err == nil {
		t.Fatal("store of alice's password without a keyring succeeded")
	}
}
