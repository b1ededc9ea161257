package helper

import (
	"fmt"

	"github.com/docker/docker-credential-helpers/credentials"
)

// EraseMatching removes the keyring entry for serverURL (a cached cluster
// answer or a stored override) when it matches the given user name and
// password; an empty one matches anything. It is git's erase, which names
// the credential the server rejected: an entry holding another credential
// stays. Docker's erase is Delete, which removes the entry unconditionally.
func (h *Helper) EraseMatching(serverURL, username, password string) (erased bool, err error) {
	host, _, ok := h.Table.Lookup(serverURL)
	if !ok {
		return false, credentials.NewErrCredentialsNotFound()
	}
	e, hit := h.cached(host)
	if !hit {
		return false, nil
	}
	if (username != "" && username != e.Username) || (password != "" && password != e.Secret) {
		h.debugf("%s: the keyring entry is not the rejected credential; kept", host)
		return false, nil
	}
	existed, err := h.Cache.Delete(host)
	if err != nil {
		return false, fmt.Errorf("cannot erase credentials for %s: %w", host, err)
	}
	return existed, nil
}
