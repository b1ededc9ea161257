//go:build !linux

package keyring

import (
	"errors"
	"time"
)

var errNoHotTier = errors.New("the hot tier (kernel keyring) is Linux-only")

// Hot is the hot tier; on this platform there is none, and every get reads
// the OS keyring.
type Hot struct{}

func NewHot(string) Hot                             { return Hot{} }
func (Hot) Get(string) ([]byte, bool)               { return nil, false }
func (Hot) Set(string, []byte, time.Duration) error { return errNoHotTier }
func (Hot) Clear(string) error                      { return nil }
func (Hot) ClearAll() error                         { return nil }
func (Hot) Usable() error                           { return errNoHotTier }
