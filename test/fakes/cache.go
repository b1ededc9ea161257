// Package fakes holds the in-memory keyring cache and cluster that unit
// tests swap in for the real ones (tested in test/integration and test/e2e).
package fakes

import (
	"sync"

	"github.com/cnoe-io/docker-credential-idpbuilder/keyring"
)

// Cache is an in-memory keyring cache that counts calls and can fail. It is
// safe for concurrent use, and it stores and returns copies, as the real
// keyring does, so a caller that changes an entry it read changes nothing
// until it writes it.
type Cache struct {
	mu      sync.Mutex
	Entries map[string]keyring.Entry
	// Err, when set, is returned by every call, as by a broken keyring.
	Err                 error
	Gets, Puts, Deletes int
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{Entries: map[string]keyring.Entry{}} }

func (c *Cache) Get(host string) (keyring.Entry, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Gets++
	if c.Err != nil {
		return keyring.Entry{}, false, c.Err
	}
	e, ok := c.Entries[host]
	return e.Clone(), ok, nil
}

func (c *Cache) Put(host string, e keyring.Entry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Err != nil {
		return c.Err
	}
	c.Puts++
	c.Entries[host] = e.Clone()
	return nil
}

func (c *Cache) Delete(host string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Err != nil {
		return false, c.Err
	}
	c.Deletes++
	_, ok := c.Entries[host]
	delete(c.Entries, host)
	return ok, nil
}

// Entry returns a copy of the entry for host, under the lock.
func (c *Cache) Entry(host string) (keyring.Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.Entries[host]
	return e.Clone(), ok
}
