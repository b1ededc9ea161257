package helper

import (
	"fmt"
	"strings"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// GitGet is git's get. username is the user name in git's request
// (https://alice@HOST/...), empty when the URL names none. A named user is
// answered with what git stored for that user, else with the normal answer
// (Login or cluster) when it is that user's; otherwise there is no answer
// (the protocol's not-found error), so git asks its next helper or prompts.
func (h *Helper) GitGet(serverURL, username string) (string, string, error) {
	host, reg, ok := h.Table.Lookup(serverURL)
	if !ok {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	v := h.open(host, reg, h.inputs(reg))
	defer v.close()
	if username != "" {
		if c := h.user(v, username); c != nil {
			h.debugf("%s: answering git with the credentials it stored for user %s", host, c.Username)
			return c.Username, c.Secret, nil
		}
	}
	c, err := h.answer(v)
	if err != nil {
		return "", "", err
	}
	if username != "" && !strings.EqualFold(username, c.Username) {
		h.debugf("%s: git asks for user %q, this helper holds %q: no answer", host, username, c.Username)
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	return c.Username, c.Secret, nil
}

// user returns what git stored for the user name when it was stored for
// the cluster in use; one from another cluster is dropped, as a Login is.
func (h *Helper) user(v *view, name string) *keyring.Credential {
	key := keyring.UserKey(name)
	c, ok := v.entry.Users[key]
	if !ok {
		return nil
	}
	fp := h.clusterInUse(v)
	if fp == "" {
		return nil
	}
	if sameCluster(c.Fingerprint, fp) {
		return &c
	}
	h.debugf("%s: credentials git stored for user %s on another cluster (recreated?): dropped", v.host, c.Username)
	delete(v.entry.Users, key)
	err := h.update(v.host, v, func(e *keyring.Entry) {
		if u, ok := e.Users[key]; ok && !sameCluster(u.Fingerprint, fp) {
			delete(e.Users, key)
		}
	})
	if err != nil {
		h.debugf("%s: could not drop them from the keyring: %v", v.host, err)
	}
	return nil
}

// GitStore is git's store, run after a credential worked. What this helper
// answers anyway is left alone, so a cluster entry stays a cluster entry.
// A password typed for the cluster's own user is kept as the Login (docker
// gets it too); one for any other user is kept for git requests naming that
// user only, so it never becomes docker's credential or git's default.
func (h *Helper) GitStore(serverURL, username, password string) error {
	host, reg, ok := h.Table.Lookup(serverURL)
	if !ok {
		return credentials.NewErrCredentialsNotFound()
	}
	if username == "" || password == "" {
		return nil // nothing that could answer a later get
	}
	v := h.open(host, reg, h.inputs(reg))
	defer v.close()
	if h.clusterInUse(v) == "" {
		if h.Cache == nil {
			return errNoCache(host)
		}
		_, err := h.fromCluster(v, false)
		return fmt.Errorf("cannot store credentials for %s: they are kept for the cluster they belong to, and it cannot be found: %w", host, err)
	}
	if c := h.user(v, username); c != nil && sameCredential(c.Username, c.Secret, username, password) {
		h.debugf("%s: git stored what it already holds for user %s: nothing to keep", host, username)
		return nil
	}
	if c, err := h.answer(v); err == nil && sameCredential(c.Username, c.Secret, username, password) {
		h.debugf("%s: git stored what this helper answers: nothing to keep", host)
		return nil
	}
	if owner := h.clusterUser(v); owner != "" && strings.EqualFold(owner, username) {
		h.debugf("%s: git stored a new password for the cluster's user %s", host, username)
		return h.keepLogin(v, username, password, false)
	}
	if h.Cache == nil {
		return errNoCache(host)
	}
	key := keyring.UserKey(username)
	cred := keyring.Credential{Username: username, Secret: password, Fingerprint: v.fp(), StoredAt: h.now()}
	err := h.update(host, v, func(e *keyring.Entry) {
		if e.Users == nil {
			e.Users = map[string]keyring.Credential{}
		}
		e.Users[key] = cred
		e.Cluster = v.cur
	})
	if err != nil {
		return fmt.Errorf("cannot store credentials for %s: %w; passwords are never written to a file", host, err)
	}
	h.debugf("%s: credentials for user %s kept for git requests that name that user", host, username)
	return nil
}

// clusterUser is the user name of the cluster's secret: cached for the same
// cluster (any age), else read; empty when it cannot be told.
func (h *Helper) clusterUser(v *view) string {
	if e := v.entry; v.cur != nil && e.HasCluster() && sameCluster(e.Fingerprint, v.fp()) {
		return e.Username
	}
	e, err := h.fromCluster(v, false)
	if err != nil {
		h.debugf("%s: the cluster's user name cannot be told (%v)", v.host, err)
		return ""
	}
	return e.Username
}

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
	err = h.update(host, nil, func(e *keyring.Entry) {
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

// clusterInUse is the fingerprint of the cluster in use, read when the
// kubeconfig changed since the entry was written; empty when it cannot be
// told.
func (h *Helper) clusterInUse(v *view) string {
	if v.cur == nil {
		if _, err := h.fromCluster(v, false); err != nil && v.cur == nil {
			h.debugf("%s: the cluster in use cannot be told (%v)", v.host, err)
		}
	}
	return v.fp()
}
