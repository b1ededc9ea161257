package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
	"github.com/cnoe-io/docker-credential-idpbuilder/secrets"
)

const readSecretHelp = `Usage: docker-credential-idpbuilder-cluster read-secret [flags]

Resolves the context as kubectl would (--context, else kind-localdev, else
the current context), reads the secret and prints one JSON object on stdout:
{"username","password","fingerprint","cluster"} (fingerprint: of the
configuration client-go read with; cluster: the context and the stat
signature of every file that chose it), or {"error","unreachable","cluster"}
with exit status 1.
docker-credential-idpbuilder runs it on a cache miss and reads the answer
from a pipe; its arguments are internal/companion.Request's.

Flags:
      --context=NAME      kubeconfig context (default kind-localdev, else the current one)
      --kubeconfig=PATH   kubeconfig file (default $KUBECONFIG, else ~/.kube/config)
      --namespace=NAME    namespace of the secret (default gitea)
      --secret=NAME       name of the secret (default gitea-credential)
      --username-key=KEY  the secret's key holding the user name (default username)
      --password-key=KEY  the secret's key holding the password (default password)
      --username=NAME     the user name, when the secret holds only the password
      --timeout=DURATION  deadline for the whole read (default 5s)
`

func runReadSecret(args []string, _ io.Reader, stdout, stderr io.Writer, _ func(string) string) int {
	req, err := companion.ParseRequest(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		io.WriteString(stdout, readSecretHelp)
		return exitOK
	case err != nil:
		cli.UsageError(stderr, "%v", err)
		return exitUsage
	}
	ref := idpbuilder.SecretRef{Namespace: req.Namespace, Name: req.Secret, UsernameKey: req.UsernameKey, PasswordKey: req.PasswordKey, Username: req.Username}
	if err := ref.Check(); err != nil {
		cli.UsageError(stderr, "%s: %v", companion.ReadSecretCommand, err)
		return exitUsage
	}
	if req.Timeout == 0 {
		req.Timeout = config.DefaultSettings().Timeout
	}
	reply := readSecret(req.Kubeconfig, req.Context, ref, req.Timeout)
	json.NewEncoder(stdout).Encode(reply)
	if reply.Error != "" {
		return exitError
	}
	return exitOK
}

func readSecret(kubeconfig, kubeContext string, ref idpbuilder.SecretRef, timeout time.Duration) companion.Reply {
	c, err := secrets.Resolve(kubeconfig, kubeContext)
	if err != nil {
		return companion.Reply{Error: err.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	id := c.ID()
	creds, err := c.ReadSecret(ctx, ref)
	if err != nil {
		return companion.Reply{Error: err.Error(), Unreachable: errors.Is(err, idpbuilder.ErrUnreachable), Cluster: &id}
	}
	return companion.Reply{Username: creds.Username, Password: creds.Password, Fingerprint: creds.Fingerprint, Cluster: &id}
}
