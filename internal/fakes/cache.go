// Package fakes holds the in-memory cache the unit tests of several packages
// swap in for the OS keyring (the real one is tested in test/integration).
package fakes

import "github.com/cnoe-io/docker-credential-idpbuilder/keyring"

// Cache is an in-memory keyring cache that counts calls and can fail.
type Cache struct {
	Entries map[string]keyring.Entry
	// Err, when set, is returned by every call, as by a broken keyring.
	Err        error
	Gets, Puts int
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{Entries: map[string]keyring.Entry{}} }

func (c *Cache) Get(host string) (keyring.Entry, bool, error) {
	c.Gets++
	if c.Err != nil {
		return keyring.Entry{}, false, c.Err
	}
	e, ok := c.Entries[host]
	return e, ok, nil
}

func (c *Cache) Put(host string, e keyring.Entry) error {
	if c.Err != nil {
		return c.Err
	}
	c.Puts++
	c.Entries[host] = e
	return nil
}

func (c *Cache) Delete(host string) (bool, error) {
	if c.Err != nil {
		return false, c.Err
	}
	_, ok := c.Entries[host]
	delete(c.Entries, host)
	return ok, nil
}
