package helper

import (
	"reflect"
	"testing"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/fakes"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
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
