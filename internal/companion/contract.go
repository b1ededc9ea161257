// Package companion is the one contract between docker-credential-idpbuilder
// and its companion program, docker-credential-idpbuilder-cluster: the
// commands the helper hands over, the read-secret request and its reply,
// and the client that runs the program on a cache miss.
package companion

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ReadSecretCommand is the companion's command the helper runs on a cache
// miss; the answer comes back as one Reply on its stdout.
const ReadSecretCommand = "read-secret"

// forwarded are the user commands that talk to the cluster, which only the
// companion links; the helper runs them there with the same arguments.
var forwarded = [...]string{"install", "uninstall", "status", "refresh"}

// Forwarded lists the user commands the helper hands to the companion.
func Forwarded() []string { return slices.Clone(forwarded[:]) }

// IsForwarded reports whether the helper hands command to the companion.
func IsForwarded(command string) bool { return slices.Contains(forwarded[:], command) }

// Request is one read of the Gitea secret, as the helper asks for it.
type Request struct {
	// Kubeconfig is an explicit kubeconfig path; empty means the loading
	// rules ($KUBECONFIG, then ~/.kube/config).
	Kubeconfig string
	// Context is the kubeconfig context the helper resolved; required.
	Context   string
	Namespace string
	Secret    string
	// Timeout bounds the whole read, exec credential plugins included; zero
	// means the companion's default.
	Timeout time.Duration
}

// requestFlags are Request's fields as flags, in the order Args writes them.
func (r *Request) flags() []struct {
	name string
	dst  *string
} {
	return []struct {
		name string
		dst  *string
	}{
		{"context", &r.Context},
		{"kubeconfig", &r.Kubeconfig},
		{"namespace", &r.Namespace},
		{"secret", &r.Secret},
	}
}

// Args is the companion's command line for r: ReadSecretCommand, then
// --flag=value pairs. Values are never secret.
func (r Request) Args() []string {
	args := []string{ReadSecretCommand}
	for _, f := range r.flags() {
		if *f.dst != "" {
			args = append(args, "--"+f.name+"="+*f.dst)
		}
	}
	if r.Timeout > 0 {
		args = append(args, "--timeout="+r.Timeout.String())
	}
	return args
}

// ParseRequest reads the arguments that follow ReadSecretCommand, as Args
// writes them (--flag=value or --flag value). Anything else is refused with
// one line: only the helper writes these arguments.
func ParseRequest(args []string) (Request, error) {
	var r Request
	fields := map[string]*string{}
	for _, f := range r.flags() {
		fields[f.name] = f.dst
	}
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(args[i], "--"), "=")
		if !strings.HasPrefix(args[i], "--") || name == "" {
			return Request{}, fmt.Errorf("%s: unexpected argument %q", ReadSecretCommand, args[i])
		}
		if !hasValue {
			if i+1 == len(args) {
				return Request{}, fmt.Errorf("%s: --%s needs a value", ReadSecretCommand, name)
			}
			i++
			value = args[i]
		}
		if seen[name] {
			return Request{}, fmt.Errorf("%s: --%s given twice", ReadSecretCommand, name)
		}
		seen[name] = true
		if name == "timeout" {
			d, err := time.ParseDuration(value)
			if err != nil || d <= 0 {
				return Request{}, fmt.Errorf("%s: --timeout %q is not a positive duration", ReadSecretCommand, value)
			}
			r.Timeout = d
			continue
		}
		dst, ok := fields[name]
		if !ok {
			return Request{}, fmt.Errorf("%s: unknown flag --%s", ReadSecretCommand, name)
		}
		*dst = value
	}
	if r.Context == "" {
		return Request{}, fmt.Errorf("%s needs --context", ReadSecretCommand)
	}
	return r, nil
}
