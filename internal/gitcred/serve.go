package gitcred

import (
	"bytes"
	"io"
	"net"
	"strings"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
)

// Operations git runs. Any other is ignored, as gitcredentials(7) asks, so
// git can add operations later.
const (
	OpGet   = "get"
	OpStore = "store"
	OpErase = "erase"
)

// Known reports whether op is one this helper acts on.
func Known(op string) bool {
	return op == OpGet || op == OpStore || op == OpErase
}

// Serve runs one git operation against h: it reads the credential
// description from in and, for get, writes the answer to out. A host that
// is not in the table, or a protocol the table does not serve it with, gets
// no answer and no error, so git asks its next helper. An error is for the
// user (git prints the helper's stderr): a malformed request, a cluster that
// cannot be read, a keyring that cannot store.
func Serve(h *helper.Helper, op string, in io.Reader, out io.Writer) error {
	if !Known(op) {
		return nil
	}
	req, err := Parse(in)
	if err != nil {
		return err
	}
	host, ok := lookup(h, req)
	if !ok {
		return nil
	}
	switch op {
	case OpGet:
		return get(h, host, req, out)
	case OpStore:
		return store(h, host, req)
	default:
		return erase(h, host, req)
	}
}

func debugf(h *helper.Helper, format string, args ...any) {
	if h.Debugf != nil {
		h.Debugf("git: "+format, args...)
	}
}

// lookup maps git's protocol and host to the table's key. git's host carries
// the port only when the URL has one; for git, https://h and https://h:443
// are one server, so both spellings are tried (the table keeps them apart
// for docker, which sends exactly what the user typed).
func lookup(h *helper.Helper, req Request) (string, bool) {
	proto := strings.ToLower(req.Protocol)
	if proto != "https" && proto != "http" {
		if req.Host != "" {
			debugf(h, "protocol %q for %s: not a protocol this helper serves", req.Protocol, req.Host)
		}
		return "", false
	}
	if req.Host == "" {
		return "", false
	}
	for _, candidate := range hostSpellings(proto, req.Host) {
		host, reg, ok := h.Table.Lookup(candidate)
		if !ok {
			continue
		}
		want := strings.ToLower(reg.Protocol)
		if want == "" {
			want = "https"
		}
		if proto != want {
			debugf(h, "%s is configured for %s, not %s: no answer, so no password goes over plain http", host, want, proto)
			return "", false
		}
		return host, true
	}
	return "", false
}

func hostSpellings(proto, host string) []string {
	out := []string{host}
	defPort := "443"
	if proto == "http" {
		defPort = "80"
	}
	if name, port, err := net.SplitHostPort(host); err == nil {
		if port == defPort {
			if strings.Contains(name, ":") {
				name = "[" + name + "]"
			}
			out = append(out, name)
		}
	} else {
		out = append(out, net.JoinHostPort(strings.Trim(host, "[]"), defPort))
	}
	return out
}

func get(h *helper.Helper, host string, req Request, out io.Writer) error {
	user, secret, err := h.GitGet(host, req.Username)
	if credentials.IsErrCredentialsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := (Request{Username: user, Password: secret}).Write(&b); err != nil {
		return err
	}
	_, err = out.Write(b.Bytes())
	return err
}

// store runs after git used a credential successfully, with every helper,
// including the one that answered. helper.GitStore keeps it only when it is
// not what this helper answers anyway: for the cluster's own user as the
// login docker uses too, for any other user name (typed at git's prompt for
// https://alice@HOST/...) for git requests naming that user only.
func store(h *helper.Helper, host string, req Request) error {
	if req.Username == "" || req.Password == "" {
		return nil
	}
	return h.GitStore(host, req.Username, req.Password)
}

// erase runs after the server rejected a credential. It drops exactly that
// credential from the keyring (a user's, the login, or the cached cluster
// answer), so the next get reads the cluster again; what another helper's
// or another user's credential was rejected with is left alone.
func erase(h *helper.Helper, host string, req Request) error {
	_, err := h.EraseMatching(host, req.Username, req.Password)
	return err
}
