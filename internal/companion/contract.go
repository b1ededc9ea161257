// Package companion is the one contract between docker-credential-idpbuilder
// and its companion program, docker-credential-idpbuilder-cluster: the
// commands the helper hands over, the read-secret request and its reply,
// and the client that runs the program on a cache miss.
package companion

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
)

// ReadSecretCommand is the companion's command the helper runs on a cache
// miss; the answer comes back as one Reply on its stdout.
const ReadSecretCommand = "read-secret"

// Forwarded lists the user commands the helper hands to the companion with
// the same arguments and streams, with their lines in the helper's usage:
// they talk to the cluster, which only the companion links. The helper's
// command table is built from this list and the companion's test checks it
// has each one, so a command added here cannot be forgotten on either side.
func Forwarded() []cli.Command {
	return []cli.Command{
		{Name: "install", Args: "[flags]", Summary: "wire docker and the containers tools to the cluster"},
		{Name: "uninstall", Args: "[flags]", Summary: "undo install"},
		{Name: "status", Args: "[-o json]", Summary: "check every registry and say how to fix what fails"},
		{Name: "refresh", Args: "[flags]", Summary: "re-read the cluster now and rewrite the cache"},
		{Name: "export", Args: "[flags]", Summary: "write a pull/push Secret for pods (copies the Gitea admin credential)"},
	}
}

// ForwardedNames is the names of Forwarded's commands.
func ForwardedNames() []string {
	var names []string
	for _, c := range Forwarded() {
		names = append(names, c.Name)
	}
	return names
}

// Request is one read of the Gitea secret, as the helper asks for it.
type Request struct {
	// Kubeconfig is an explicit kubeconfig path; empty means the loading
	// rules ($KUBECONFIG, then ~/.kube/config).
	Kubeconfig string
	// Context is the table's kubeconfig context; empty means the
	// companion's choice (kind-localdev, else the current context).
	Context   string
	Namespace string
	Secret    string
	// UsernameKey and PasswordKey name the secret's keys; empty means
	// idpbuilder's (username, password).
	UsernameKey string
	PasswordKey string
	// Username, when set, is the user name; the secret then needs only the
	// password key.
	Username string
	// Timeout bounds the whole read, exec credential plugins included; zero
	// means the companion's default.
	Timeout time.Duration
}

// Args is the companion's command line for r: ReadSecretCommand, then
// --flag=value pairs for the fields that are set (the = form keeps a value
// that starts with a dash a value). Values are never secret: the password
// comes back over the pipe only.
func (r Request) Args() []string {
	args := []string{ReadSecretCommand}
	for _, f := range []struct{ name, value string }{
		{"context", r.Context},
		{"kubeconfig", r.Kubeconfig},
		{"namespace", r.Namespace},
		{"secret", r.Secret},
		{"username-key", r.UsernameKey},
		{"password-key", r.PasswordKey},
		{"username", r.Username},
	} {
		if f.value != "" {
			args = append(args, "--"+f.name+"="+f.value)
		}
	}
	if r.Timeout > 0 {
		args = append(args, "--timeout="+r.Timeout.String())
	}
	return args
}

// ParseRequest reads the arguments that follow ReadSecretCommand, as Args
// writes them (--flag=value, or --flag value). A flag given twice, an
// argument that is not a flag is refused with one
// line: only the helper writes these arguments, so anything else is a bug
// to report, not to guess at. -h and --help give an error that wraps
// pflag.ErrHelp.
func ParseRequest(args []string) (Request, error) {
	var r Request
	fs := pflag.NewFlagSet(ReadSecretCommand, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.Var(&once{dst: &r.Context}, "context", "kubeconfig context")
	fs.Var(&once{dst: &r.Kubeconfig}, "kubeconfig", "kubeconfig file")
	fs.Var(&once{dst: &r.Namespace}, "namespace", "namespace of the secret")
	fs.Var(&once{dst: &r.Secret}, "secret", "name of the secret")
	fs.Var(&once{dst: &r.UsernameKey}, "username-key", "the secret's key holding the user name")
	fs.Var(&once{dst: &r.PasswordKey}, "password-key", "the secret's key holding the password")
	fs.Var(&once{dst: &r.Username}, "username", "the user name, when the secret holds only the password")
	timeout := &once{}
	fs.Var(timeout, "timeout", "deadline for the whole read")
	if err := fs.Parse(args); err != nil {
		return Request{}, fmt.Errorf("%s: %w", ReadSecretCommand, err)
	}
	if fs.NArg() > 0 {
		return Request{}, fmt.Errorf("%s: unexpected argument %q (it takes flags only)", ReadSecretCommand, fs.Arg(0))
	}
	if timeout.set {
		d, err := time.ParseDuration(timeout.value)
		if err != nil || d <= 0 {
			return Request{}, fmt.Errorf("%s: --timeout %q is not a positive duration such as 5s", ReadSecretCommand, timeout.value)
		}
		r.Timeout = d
	}
	return r, nil
}

// once is a string flag that may be given once: two values for one field
// mean the command line was not written by Args.
type once struct {
	dst   *string // where the value goes; nil keeps it in value only
	value string
	set   bool
}

func (o *once) Set(v string) error {
	if o.set {
		return errors.New("given twice")
	}
	o.value, o.set = v, true
	if o.dst != nil {
		*o.dst = v
	}
	return nil
}

func (o *once) String() string { return o.value }
func (o *once) Type() string   { return "string" }
