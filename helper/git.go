package helper

import (
	"fmt"
	"strings"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// EraseMatching is git's erase, run after the server rejected a credential:
// it removes exactly the credentials that match the given user name and
// password (an empty one matches anything), wherever they are kept: a user's
// from git, the Login, or the cached cluster answer, so the next get reads
// the cluster again. Docker's erase is Delete.
func (h *Helper) EraseMatching(serverURL, username, password string) (erased bool, err error) {
	host, _, ok := h.Table.Lookup(serverURL)
	if !ok {
		return false, credentials.NewErrCredentialsNotFound()
	}
	if h.Cache == nil {
		return false, nil
	}
	matches := func(user, secret string) bool {
		return (username == "" || strings.EqualFold(username, user)) && (password == "" || password == secret)
	}
	var removed []string
	err = h.update(host, h.deadline(), func(e *keyring.Entry) {
		removed = removed[:0]
		for key, c := range e.Users {
			if matches(c.Username, c.Secret) {
				delete(e.Users, key)
				removed = append(removed, "git's credentials for user "+c.Username)
			}
		}
		if e.Login != nil && matches(e.Login.Username, e.Login.Secret) {
			e.Login = nil
			removed = append(removed, "the 'docker login' credentials")
		}
		if e.HasCluster() && matches(e.Username, e.Secret) {
			e.ClearCluster()
			removed = append(removed, "the cached cluster answer")
		}
	})
	if err != nil {
		return false, fmt.Errorf("cannot erase credentials for %s: %w", host, err)
	}
	if len(removed) == 0 {
		h.debugf("%s: nothing in the keyring is the rejected credential; kept", host)
		return false, nil
	}
	h.debugf("%s: erased %s", host, strings.Join(removed, ", "))
	return true, nil
}
