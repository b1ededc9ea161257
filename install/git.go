package install

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
)

// GitHelper is the credential helper install gives git for each registry
// host. The "!" form is run by git through the shell, which finds the
// binary on PATH, as docker does: a moved binary needs no new install, and
// the value holds no path to quote.
const GitHelper = "!docker-credential-idpbuilder git"

// gitHelperPattern matches exactly GitHelper as a `git config` value
// pattern; a leading "!" would negate the pattern, hence the bracket.
const gitHelperPattern = "^[!]docker-credential-idpbuilder git$"

// GitURL is the URL git's per-URL settings use for a registry host served
// over protocol ("http", or https when empty).
func GitURL(host, protocol string) string {
	if protocol == "http" {
		return "http://" + host
	}
	return "https://" + host
}

// gitEntry is one line of `git config --list`: section and variable names
// are lower-case there, the subsection (the URL) is as written.
type gitEntry struct {
	section, subsection, name, value string
}

// gitConfig is the user's global git config, read once.
type gitConfig struct {
	entries []gitEntry
}

func (c *gitConfig) values(section, subsection, name string) []string {
	var out []string
	for _, e := range c.entries {
		if e.section == section && e.subsection == subsection && e.name == name {
			out = append(out, e.value)
		}
	}
	return out
}

// onlyHas reports whether the subsection holds no variable but name.
func (c *gitConfig) onlyHas(section, subsection, name string) bool {
	for _, e := range c.entries {
		if e.section == section && e.subsection == subsection && e.name != name {
			return false
		}
	}
	return true
}

func parseGitList(out []byte) *gitConfig {
	c := &gitConfig{}
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		key, value, _ := strings.Cut(string(rec), "\n")
		first, last := strings.Index(key, "."), strings.LastIndex(key, ".")
		if first < 0 {
			continue
		}
		e := gitEntry{section: strings.ToLower(key[:first]), name: strings.ToLower(key[last+1:]), value: value}
		if last > first {
			e.subsection = key[first+1 : last]
		}
		c.entries = append(c.entries, e)
	}
	return c
}

// gitCommand runs `git config --global ARGS` as the user install works for:
// HOME, XDG_CONFIG_HOME and GIT_CONFIG_GLOBAL come from the installer's
// environment, not the process's, so tests and --docker-config style
// overrides see the same files.
type gitCommand struct {
	path string
	env  []string
	dir  string
}

func (in *Installer) git() (*gitCommand, error) {
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
	env = append(env, "HOME="+in.dirs().Home())
	for _, k := range []string{"XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL"} {
		if v := in.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return &gitCommand{path: path, env: env, dir: in.dirs().Home()}, nil
}

func (g *gitCommand) run(args ...string) ([]byte, error) {
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

// read lists the global config; a missing file is an empty config.
func (g *gitCommand) read() (*gitConfig, error) {
	out, err := g.run("-z", "--list")
	if err != nil {
		if strings.Contains(err.Error(), "unable to read config file") || strings.Contains(err.Error(), "No such file") {
			return &gitConfig{}, nil
		}
		return nil, err
	}
	return parseGitList(out), nil
}

// gitCAFile is the cluster CA install --trust-ca writes next to the table.
func gitCAFile(table *config.Table) string {
	return filepath.Join(filepath.Dir(table.Path), "ca.crt")
}

// configureGit gives git our helper for each host, scoped to that host's
// URL (http://HOST for a table entry with protocol http, else
// https://HOST). An empty helper value first resets the list git built so
// far, so a general credential.helper (store, cache, a keychain) neither
// answers before us with an old password nor keeps a copy of the
// cluster's. With caFile set, git trusts that CA for an https host
// (http.<url>.sslCAInfo). Problems are warnings: docker's wiring is done
// already.
func (in *Installer) configureGit(rep *report, table *config.Table, hosts []string, caFile string, dryRun bool) {
	g, err := in.git()
	if err != nil {
		rep.line("note", "git is not on PATH: git not configured")
		return
	}
	cfg, err := g.read()
	if err != nil {
		rep.line("warning", "git not configured: %v", err)
		return
	}
	for _, h := range hosts {
		protocol := table.Registries[h].Protocol
		url := GitURL(h, protocol)
		if !in.gitHelperStep(rep, g, cfg, h, url, dryRun) || protocol == "http" {
			continue // plain http has no certificate to trust
		}
		in.gitCAStep(rep, g, cfg, h, url, caFile, dryRun)
	}
}

// gitHelperStep sets credential.<url>.helper; false means it failed (and
// said so).
func (in *Installer) gitHelperStep(rep *report, g *gitCommand, cfg *gitConfig, h, url string, dryRun bool) bool {
	key := "credential." + url + ".helper"
	vals := cfg.values("credential", url, "helper")
	foreign := slices.DeleteFunc(slices.Clone(vals), func(v string) bool { return v == "" || v == GitHelper })
	switch {
	case len(foreign) == 0 && slices.Equal(vals, []string{"", GitHelper}):
		rep.line("ok", "git: %s = %q: already set", key, GitHelper)
	case len(foreign) == 0:
		err := in.gitWrite(g, dryRun,
			step{[]string{"--unset-all", key}, len(vals) > 0},
			step{[]string{"--add", key, ""}, true},
			step{[]string{"--add", key, GitHelper}, true})
		if err != nil {
			rep.line("warning", "%v", err)
			return false
		}
		rep.line("changed", "git: %s = %q (after an empty value, so no other helper answers for or stores the password of %s)", key, GitHelper, h)
	default:
		if !slices.Contains(vals, GitHelper) {
			if err := in.gitWrite(g, dryRun, step{[]string{"--add", key, GitHelper}, true}); err != nil {
				rep.line("warning", "%v", err)
				return false
			}
			rep.line("changed", "git: %s += %q", key, GitHelper)
		}
		rep.line("warning", "git: %s also names %s: git asks those first, and they may store the password", key, strings.Join(foreign, ", "))
	}
	return true
}

// gitCAStep sets http.<url>.sslCAInfo to caFile, unless the user set it.
func (in *Installer) gitCAStep(rep *report, g *gitCommand, cfg *gitConfig, h, url, caFile string, dryRun bool) {
	caKey := "http." + url + ".sslCAInfo"
	cur := cfg.values("http", url, "sslcainfo")
	switch {
	case caFile == "" && len(cur) == 0:
		rep.line("note", "git trusts the cluster's CA for %s only after 'install --trust-ca' (it sets %s)", h, caKey)
	case caFile == "":
	case len(cur) == 0:
		if err := in.gitWrite(g, dryRun, step{[]string{caKey, caFile}, true}); err != nil {
			rep.line("warning", "%v", err)
			return
		}
		rep.line("changed", "git: %s = %s", caKey, caFile)
	case cur[len(cur)-1] == caFile:
		rep.line("ok", "git: %s = %s: already set", caKey, caFile)
	default:
		rep.line("warning", "git: %s is %s, kept; git trusts what it names for %s", caKey, cur[len(cur)-1], h)
	}
}

// step is one `git config --global` call, made when its condition holds.
type step struct {
	args []string
	when bool
}

// gitWrite runs the steps in order; a dry run runs none.
func (in *Installer) gitWrite(g *gitCommand, dryRun bool, steps ...step) error {
	if dryRun {
		return nil
	}
	for _, s := range steps {
		if !s.when {
			continue
		}
		if _, err := g.run(s.args...); err != nil {
			return err
		}
	}
	return nil
}

// unconfigureGit removes exactly what configureGit added: every per-URL
// credential helper entry whose value is GitHelper (with the empty value
// before it when nothing else is left for that URL), and per-URL
// sslCAInfo entries naming caFile. Empty sections go too.
func (in *Installer) unconfigureGit(rep *report, caFile string, dryRun bool) {
	g, err := in.git()
	if err != nil {
		return
	}
	cfg, err := g.read()
	if err != nil {
		rep.line("warning", "git config not checked: %v", err)
		return
	}
	var urls []string
	for _, e := range cfg.entries {
		if e.section == "credential" && e.subsection != "" && e.name == "helper" && e.value == GitHelper && !slices.Contains(urls, e.subsection) {
			urls = append(urls, e.subsection)
		}
	}
	for _, url := range urls {
		key := "credential." + url + ".helper"
		vals := cfg.values("credential", url, "helper")
		all := !slices.ContainsFunc(vals, func(v string) bool { return v != "" && v != GitHelper })
		args := []string{"--unset-all", key}
		if !all {
			args = append(args, gitHelperPattern)
		}
		empty := all && cfg.onlyHas("credential", url, "helper")
		err := in.gitWrite(g, dryRun, step{args, true}, step{[]string{"--remove-section", "credential." + url}, empty})
		if err != nil {
			rep.line("warning", "%v", err)
			continue
		}
		rep.line("changed", "git: removed %s = %q", key, GitHelper)
	}
	var done []string
	for _, e := range cfg.entries {
		if e.section != "http" || e.subsection == "" || e.name != "sslcainfo" || e.value != caFile || slices.Contains(done, e.subsection) {
			continue
		}
		done = append(done, e.subsection)
		vals := cfg.values("http", e.subsection, "sslcainfo")
		if slices.ContainsFunc(vals, func(v string) bool { return v != caFile }) {
			continue
		}
		key := "http." + e.subsection + ".sslCAInfo"
		empty := cfg.onlyHas("http", e.subsection, "sslcainfo")
		err := in.gitWrite(g, dryRun, step{[]string{"--unset-all", key}, true}, step{[]string{"--remove-section", "http." + e.subsection}, empty})
		if err != nil {
			rep.line("warning", "%v", err)
			continue
		}
		rep.line("changed", "git: removed %s = %s", key, caFile)
	}
}

// GitCheck says whether git is configured to use the helper for host,
// served over protocol, for the status command. It never blocks: docker
// works without it.
func (in *Installer) GitCheck(host, protocol string) Check {
	url := GitURL(host, protocol)
	key := "credential." + url + ".helper"
	g, err := in.git()
	if err != nil {
		return Check{Name: "git", OK: true, Detail: "git is not on PATH"}
	}
	cfg, err := g.read()
	if err != nil {
		return Check{Name: "git", Detail: err.Error(), Fix: "fix the global git config, then run 'docker-credential-idpbuilder install'"}
	}
	vals := cfg.values("credential", url, "helper")
	if !slices.Contains(vals, GitHelper) {
		return Check{Name: "git", Detail: fmt.Sprintf("%s is not %q: git push and clone to %s ask for a password", key, GitHelper, url),
			Fix: "run 'docker-credential-idpbuilder install' (it configures git unless --git=false)"}
	}
	detail := fmt.Sprintf("%s = %q", key, GitHelper)
	if ca := cfg.values("http", url, "sslcainfo"); len(ca) > 0 {
		detail += fmt.Sprintf("; http.%s.sslCAInfo = %s", url, ca[len(ca)-1])
	}
	return Check{Name: "git", OK: true, Detail: detail}
}
