// Command frontend is a measuring prototype, not a product: what `get` and
// `version` would cost in a process that does not link client-go. It wires the
// helper's own config and keyring packages and the protocol library exactly
// as the helper does, answers a host that is not in the table with the
// protocol's not-found, and a host that is with the keyring entry. It skips
// the cluster fingerprint check (a kubeconfig parse, about 0.3 ms) and has no
// cluster read, so its times are a lower bound for a client-go-free
// front-end that would hand cache misses to a second process (see NOTES.md).
package main

import (
	"fmt"
	"os"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// h is the protocol's Helper over the table and the keyring cache.
type h struct {
	t *config.Table
	c *keyring.Cache
}

func (x h) Add(*credentials.Credentials) error { return nil }
func (x h) Delete(string) error                { return nil }
func (x h) List() (map[string]string, error)   { return nil, nil }
func (x h) Get(u string) (string, string, error) {
	host, _, ok := x.t.Lookup(u)
	if !ok {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	e, _, err := x.c.Get(host)
	return e.Username, e.Secret, err
}

func main() {
	if os.Args[1] == "version" {
		fmt.Println("v")
		return
	}
	s, _ := config.SettingsFromEnv(os.Getenv)
	p, _ := config.DefaultPath(os.Getenv)
	t, err := config.Load(p)
	if err != nil {
		panic(err)
	}
	err = credentials.HandleCommand(h{t, keyring.New(keyring.System{}, s.KeyringTimeout, nil)}, "get", os.Stdin, os.Stdout)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}
