// Package gitconfig gives git the helper for registry hosts in the user's
// global git config, takes exactly that back, and reads it for status, all
// through `git config --global`.
package gitconfig

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
)

// Helper is the credential helper git is given for each registry host. The
// "!" form is run by git through the shell, which finds the binary on PATH,
// as docker does: a moved binary needs no new install, and the value holds
// no path to quote.
const Helper = "!" + cli.Name + " git"

// helperPattern matches exactly Helper as a `git config` value pattern; a
// leading "!" would negate the pattern, hence the bracket. cli.Name holds no
// regular expression operator.
const helperPattern = "^[!]" + cli.Name + " git$"

// URL is the URL git's per-URL settings use for a registry host served over
// protocol ("http", or https when empty).
func URL(host, protocol string) string {
	if protocol == "http" {
		return "http://" + host
	}
	return "https://" + host
}

// entry is one line of `git config --list`: section and variable names are
// lower-case there, the subsection (the URL) is as written.
type entry struct {
	section, subsection, name, value string
}

// Config is the user's global git config, read once.
type Config struct {
	entries []entry
}

func (c *Config) values(section, subsection, name string) []string {
	var out []string
	for _, e := range c.entries {
		if e.section == section && e.subsection == subsection && e.name == name {
			out = append(out, e.value)
		}
	}
	return out
}

// onlyHas reports whether the subsection holds no variable but name.
func (c *Config) onlyHas(section, subsection, name string) bool {
	for _, e := range c.entries {
		if e.section == section && e.subsection == subsection && e.name != name {
			return false
		}
	}
	return true
}

// HelperFor reports whether git asks the helper for url, and the CA file
// git trusts for it (http.<url>.sslCAInfo, empty when unset).
func (c *Config) HelperFor(url string) (configured bool, caFile string) {
	if ca := c.values("http", url, "sslcainfo"); len(ca) > 0 {
		caFile = ca[len(ca)-1]
	}
	return slices.Contains(c.values("credential", url, "helper"), Helper), caFile
}

// parseList reads the output of `git config -z --list`.
func parseList(out []byte) *Config {
	c := &Config{}
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		key, value, _ := strings.Cut(string(rec), "\n")
		first, last := strings.Index(key, "."), strings.LastIndex(key, ".")
		if first < 0 {
			continue
		}
		e := entry{section: strings.ToLower(key[:first]), name: strings.ToLower(key[last+1:]), value: value}
		if last > first {
			e.subsection = key[first+1 : last]
		}
		c.entries = append(c.entries, e)
	}
	return c
}

// Global runs `git config --global` as the user the command works for.
type Global struct {
	path string
	env  []string
	dir  string
}

// Open finds git on PATH. HOME is home, and XDG_CONFIG_HOME and
// GIT_CONFIG_GLOBAL come from getenv, not from the process, so tests and
// commands acting for a user read and write that user's file; GIT_DIR and
// GIT_CONFIG are dropped so no repository's config is touched.
func Open(home string, getenv func(string) string) (*Global, error) {
	path, err := exec.LookPath("git")
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{"HOME": true, "XDG_CONFIG_HOME": true, "GIT_CONFIG_GLOBAL": true, "GIT_DIR": true, "GIT_CONFIG": true}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home)
	for _, k := range []string{"XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL"} {
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return &Global{path: path, env: env, dir: home}, nil
}

func (g *Global) run(args ...string) ([]byte, error) {
	cmd := exec.Command(g.path, append([]string{"config", "--global"}, args...)...)
	cmd.Env = g.env
	if st, err := os.Stat(g.dir); err == nil && st.IsDir() {
		cmd.Dir = g.dir
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return out.Bytes(), fmt.Errorf("git config --global %s: %s", strings.Join(args, " "), msg)
	}
	return out.Bytes(), nil
}

// Read lists the global config; a missing file is an empty config.
func (g *Global) Read() (*Config, error) {
	out, err := g.run("-z", "--list")
	if err != nil {
		if strings.Contains(err.Error(), "unable to read config file") || strings.Contains(err.Error(), "No such file") {
			return &Config{}, nil
		}
		return nil, err
	}
	return parseList(out), nil
}

// step is one `git config --global` call, made when its condition holds.
type step struct {
	args []string
	when bool
	// tidy marks a step whose failure does not matter: removing a section
	// the unset before it left empty, which git 2.18 and later remove
	// themselves (and then report "no such section").
	tidy bool
}

// write runs the steps in order; a dry run runs none.
func (g *Global) write(dryRun bool, steps ...step) error {
	if dryRun {
		return nil
	}
	for _, s := range steps {
		if !s.when {
			continue
		}
		if _, err := g.run(s.args...); err != nil && !s.tidy {
			return err
		}
	}
	return nil
}
