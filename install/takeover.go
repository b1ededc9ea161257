package install

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/jsonedit"
)

// authState is what one auths entry holds, as far as install is concerned.
type authState int

const (
	// authNone: {} or null, docker's mark of a login kept elsewhere.
	authNone authState = iota
	// authCluster: exactly the cluster's user name and password, as
	// idpbuilder's documented `docker login` leaves it.
	authCluster
	// authOther: anything else, the user's own credential.
	authOther
)

// classifyAuth reads one auths entry. Only an entry whose "auth" decodes to
// the cluster's user:password, with no other non-empty field, is the
// cluster's; an identitytoken, any other field, or a value that does not
// parse belongs to someone else.
func classifyAuth(raw json.RawMessage, creds idpbuilder.Credentials) authState {
	var entry map[string]json.RawMessage
	if err := json.Unmarshal(raw, &entry); err != nil {
		return authOther
	}
	var auth string
	for k, v := range entry {
		if k == "auth" {
			if json.Unmarshal(v, &auth) != nil {
				return authOther
			}
			continue
		}
		if s := strings.TrimSpace(string(v)); s != `""` && s != "null" {
			return authOther
		}
	}
	switch {
	case auth == "":
		return authNone
	case isClusterAuth(auth, creds):
		return authCluster
	default:
		return authOther
	}
}

// isClusterAuth compares a base64 user:password with the cluster's
// credentials, without ever putting either in a message.
func isClusterAuth(auth string, creds idpbuilder.Credentials) bool {
	if creds.Username == "" || creds.Password == "" {
		return false
	}
	dec, err := base64.StdEncoding.DecodeString(auth)
	if err != nil {
		if dec, err = base64.RawStdEncoding.DecodeString(auth); err != nil {
			return false
		}
	}
	user, password, ok := strings.Cut(string(dec), ":")
	return ok && user == creds.Username && subtle.ConstantTimeCompare([]byte(password), []byte(creds.Password)) == 1
}

// authKeys lists the keys of auths that stand for host, in every form
// podman, skopeo, buildah and docker write or read: host,
// host/namespace[/repo] (a credential for part of the registry), and the
// legacy https://host or http://host, with or without a path. A key's
// registry part is compared as config.Normalize spells hosts.
func authKeys(auths *jsonedit.Object, host string) []string {
	var out []string
	for _, k := range auths.Keys() {
		if n, err := config.Normalize(k); err == nil && n == host {
			out = append(out, k)
		}
	}
	return out
}

// claim says why a docker config or containers auth file already gives
// host to someone else: credHelpers[host] naming another helper, or an
// auths entry for host holding a credential that is not the cluster's. It
// is empty when install may take the host.
func claim(o *jsonedit.Object, host string, creds idpbuilder.Credentials) string {
	if helpers, _, err := o.SubObject("credHelpers"); err == nil {
		if raw, ok := helpers.Get(host); ok {
			var v string
			if json.Unmarshal(raw, &v) == nil && v != "" && v != HelperName {
				return fmt.Sprintf("credHelpers[%s] = %q (another credential helper)", host, v)
			}
		}
	}
	auths, _, err := o.SubObject("auths")
	if err != nil {
		return "" // wire reports the malformed file
	}
	for _, k := range authKeys(auths, host) {
		raw, _ := auths.Get(k)
		if classifyAuth(raw, creds) == authOther {
			return fmt.Sprintf("auths[%s], a credential that is not the cluster's", k)
		}
	}
	return ""
}

// configFile is one parsed docker config or containers auth file.
type configFile struct {
	path string
	o    *jsonedit.Object
}

// readConfigFiles parses the files that exist; one that does not parse is
// left out here and reported by the step that edits it.
func readConfigFiles(paths []string) []configFile {
	var out []configFile
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil || len(strings.TrimSpace(string(data))) == 0 {
			continue
		}
		if o, err := jsonedit.Parse(data); err == nil {
			out = append(out, configFile{p, o})
		}
	}
	return out
}

// keepUnclaimed drops the hosts a docker config or containers auth file
// already gives to another helper or another credential (see claim),
// saying why: a discovered name may well be a registry the user has an
// account on (path routing with host ghcr.io and port 443 gives ghcr.io).
// Nothing of a dropped host is touched. A host named with --registry is
// taken over, and said so.
func keepUnclaimed(rep *cli.Report, hosts []string, explicit map[string]bool, files []configFile, creds map[string]idpbuilder.Credentials) []string {
	var out []string
	for _, h := range hosts {
		why := ""
		for _, f := range files {
			if w := claim(f.o, h, creds[h]); w != "" {
				why = f.path + " has " + w
				break
			}
		}
		switch {
		case why == "":
			out = append(out, h)
		case explicit[h]:
			rep.Line("note", "%s: %s; taking the registry over, as --registry asks", h, why)
			out = append(out, h)
		default:
			rep.Line("warning", "%s: skipped, nothing of it touched: %s, so it is someone else's registry; 'install --registry %s' takes it over explicitly", h, why, h)
		}
	}
	return out
}

// heldAuths lists the keys of auths that stand for host (see authKeys) and
// hold a credential; an empty entry, docker's mark of a login kept
// elsewhere, holds none.
func heldAuths(auths *jsonedit.Object, host string) []string {
	var out []string
	for _, k := range authKeys(auths, host) {
		if raw, _ := auths.Get(k); classifyAuth(raw, idpbuilder.Credentials{}) != authNone {
			out = append(out, k)
		}
	}
	return out
}

// Shadowing finds the first of the containers auth files at paths whose
// auths entries for host, under any key form, hold a credential: skopeo,
// podman and buildah use it instead of the docker config's credHelpers. A
// file whose own credHelpers names the helper for host shadows nothing,
// since those tools read that entry first. keys are the auths keys.
func Shadowing(paths []string, host string) (path string, keys []string) {
	for _, f := range readConfigFiles(paths) {
		if helpers, _, err := f.o.SubObject("credHelpers"); err == nil {
			var v string
			if raw, ok := helpers.Get(host); ok && json.Unmarshal(raw, &v) == nil && v == HelperName {
				continue
			}
		}
		auths, _, err := f.o.SubObject("auths")
		if err != nil {
			continue
		}
		if keys := heldAuths(auths, host); len(keys) > 0 {
			return f.path, keys
		}
	}
	return "", nil
}
