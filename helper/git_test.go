package helper

import (
	"testing"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/fakes"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

func TestEraseMatching(t *testing.T) {
	entry := keyring.Entry{Username: "giteaAdmin", Secret: "pw", Fingerprint: "fp", FetchedAt: time.Now()}
	tests := []struct {
		name, user, password string
		want                 bool
	}{
		{"same credential", "giteaAdmin", "pw", true},
		{"no user or password", "", "", true},
		{"password only", "", "pw", true},
		{"another password", "giteaAdmin", "other", false},
		{"another user", "me", "pw", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := fakes.NewCache()
			cache.Entries[host] = entry
			h := &Helper{Table: config.DefaultTable(""), Cache: cache}
			erased, err := h.EraseMatching("https://"+host, tt.user, tt.password)
			if err != nil || erased != tt.want {
				t.Fatalf("EraseMatching = %v, %v; want %v", erased, err, tt.want)
			}
			if _, left := cache.Entries[host]; left == tt.want {
				t.Fatalf("entry left = %v", left)
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
