package config

import (
	"fmt"
	"time"
)

// Environment variables the helper reads. They are documented in README.md.
const (
	EnvConfig         = "IDPBUILDER_HELPER_CONFIG"
	EnvDebug          = "IDPBUILDER_HELPER_DEBUG"
	EnvNoCache        = "IDPBUILDER_HELPER_NO_CACHE"
	EnvTimeout        = "IDPBUILDER_HELPER_TIMEOUT"
	EnvFresh          = "IDPBUILDER_HELPER_FRESH"
	EnvMaxStale       = "IDPBUILDER_HELPER_MAX_STALE"
	EnvKeyringTimeout = "IDPBUILDER_HELPER_KEYRING_TIMEOUT"
)

// Settings are the tunables of the cache and the cluster read.
type Settings struct {
	// Debug turns on one-line diagnostics on stderr.
	Debug bool
	// NoCache skips the keyring entirely: every get reads the cluster.
	NoCache bool
	// Timeout bounds one read of the cluster, exec plugins included.
	Timeout time.Duration
	// Fresh is how long a cached entry is served without asking the cluster.
	Fresh time.Duration
	// MaxStale is how old a cached entry may be and still be served while
	// the cluster cannot be reached.
	MaxStale time.Duration
	// KeyringTimeout bounds each keyring call: an unlock prompt nobody
	// answers must not hang a push.
	KeyringTimeout time.Duration
}

// DefaultSettings are used where the environment says nothing.
func DefaultSettings() Settings {
	return Settings{
		Timeout:        5 * time.Second,
		Fresh:          5 * time.Minute,
		MaxStale:       24 * time.Hour,
		KeyringTimeout: 3 * time.Second,
	}
}

// SettingsFromEnv reads the tunables; a malformed value is an error rather
// than a silent default, so a typo is noticed.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	s := DefaultSettings()
	s.Debug = truthy(getenv(EnvDebug))
	s.NoCache = truthy(getenv(EnvNoCache))
	for _, d := range []struct {
		env string
		dst *time.Duration
	}{
		{EnvTimeout, &s.Timeout},
		{EnvFresh, &s.Fresh},
		{EnvMaxStale, &s.MaxStale},
		{EnvKeyringTimeout, &s.KeyringTimeout},
	} {
		v := getenv(d.env)
		if v == "" {
			continue
		}
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed < 0 {
			return s, fmt.Errorf("%s=%q is not a duration such as 5s or 2m", d.env, v)
		}
		*d.dst = parsed
	}
	return s, nil
}
