package gitconfig

import (
	"slices"
	"strings"
)

// Report takes one line of what an edit did: status is "ok", "changed",
// "note" or "warning", as install prints them.
type Report func(status, format string, args ...any)

// Host is a registry host and the protocol it is served over ("http", or
// https when empty).
type Host struct {
	Name, Protocol string
}

// Configure gives git the helper for each host, scoped to the host's URL
// (see URL). An empty helper value first resets the list git built so far,
// so a general credential.helper (store, cache, a keychain) neither answers
// before us with an old password nor keeps a copy of the cluster's. With
// caFile set, git trusts that CA for an https host (http.<url>.sslCAInfo).
// A setting of the user's own stays. Problems are reported as warnings:
// docker works without git.
func (g *Global) Configure(hosts []Host, caFile string, dryRun bool, report Report) {
	cfg, err := g.Read()
	if err != nil {
		report("warning", "git not configured: %v", err)
		return
	}
	for _, h := range hosts {
		url := URL(h.Name, h.Protocol)
		if !g.addHelper(cfg, h.Name, url, dryRun, report) || h.Protocol == "http" {
			continue // plain http has no certificate to trust
		}
		g.addCA(cfg, h.Name, url, caFile, dryRun, report)
	}
}

// addHelper sets credential.<url>.helper; false means it failed (and said
// so).
func (g *Global) addHelper(cfg *Config, host, url string, dryRun bool, report Report) bool {
	key := "credential." + url + ".helper"
	vals := cfg.values("credential", url, "helper")
	foreign := slices.DeleteFunc(slices.Clone(vals), func(v string) bool { return v == "" || v == Helper })
	switch {
	case len(foreign) == 0 && slices.Equal(vals, []string{"", Helper}):
		report("ok", "git: %s = %q: already set", key, Helper)
	case len(foreign) == 0:
		err := g.write(dryRun,
			step{args: []string{"--unset-all", key}, when: len(vals) > 0},
			step{args: []string{"--add", key, ""}, when: true},
			step{args: []string{"--add", key, Helper}, when: true})
		if err != nil {
			report("warning", "%v", err)
			return false
		}
		report("changed", "git: %s = %q (after an empty value, so no other helper answers for or stores the password of %s)", key, Helper, host)
	default:
		if !slices.Contains(vals, Helper) {
			if err := g.write(dryRun, step{args: []string{"--add", key, Helper}, when: true}); err != nil {
				report("warning", "%v", err)
				return false
			}
			report("changed", "git: %s += %q", key, Helper)
		}
		report("warning", "git: %s also names %s: git asks those first, and they may store the password", key, strings.Join(foreign, ", "))
	}
	return true
}

// addCA sets http.<url>.sslCAInfo to caFile, unless the user set it.
func (g *Global) addCA(cfg *Config, host, url, caFile string, dryRun bool, report Report) {
	caKey := "http." + url + ".sslCAInfo"
	cur := cfg.values("http", url, "sslcainfo")
	switch {
	case caFile == "" && len(cur) == 0:
		report("note", "git trusts the cluster's CA for %s only after 'install --trust-ca' (it sets %s)", host, caKey)
	case caFile == "":
	case len(cur) == 0:
		if err := g.write(dryRun, step{args: []string{caKey, caFile}, when: true}); err != nil {
			report("warning", "%v", err)
			return
		}
		report("changed", "git: %s = %s", caKey, caFile)
	case cur[len(cur)-1] == caFile:
		report("ok", "git: %s = %s: already set", caKey, caFile)
	default:
		report("warning", "git: %s is %s, kept; git trusts what it names for %s", caKey, cur[len(cur)-1], host)
	}
}

// Unconfigure removes exactly what Configure added, for every URL: each
// per-URL credential helper entry whose value is Helper (with the empty
// value before it when nothing else is left for that URL), and per-URL
// sslCAInfo entries naming caFile. Sections left empty go too.
func (g *Global) Unconfigure(caFile string, dryRun bool, report Report) {
	cfg, err := g.Read()
	if err != nil {
		report("warning", "git config not checked: %v", err)
		return
	}
	var urls []string
	for _, e := range cfg.entries {
		if e.section == "credential" && e.subsection != "" && e.name == "helper" && e.value == Helper && !slices.Contains(urls, e.subsection) {
			urls = append(urls, e.subsection)
		}
	}
	for _, url := range urls {
		key := "credential." + url + ".helper"
		vals := cfg.values("credential", url, "helper")
		all := !slices.ContainsFunc(vals, func(v string) bool { return v != "" && v != Helper })
		args := []string{"--unset-all", key}
		if !all {
			args = append(args, helperPattern)
		}
		empty := all && cfg.onlyHas("credential", url, "helper")
		err := g.write(dryRun, step{args: args, when: true}, step{args: []string{"--remove-section", "credential." + url}, when: empty, tidy: true})
		if err != nil {
			report("warning", "%v", err)
			continue
		}
		report("changed", "git: removed %s = %q", key, Helper)
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
		err := g.write(dryRun, step{args: []string{"--unset-all", key}, when: true}, step{args: []string{"--remove-section", "http." + e.subsection}, when: empty, tidy: true})
		if err != nil {
			report("warning", "%v", err)
			continue
		}
		report("changed", "git: removed %s = %s", key, caFile)
	}
}
