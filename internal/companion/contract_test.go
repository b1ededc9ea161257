package companion

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestRequestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  Request
	}{
		{"context only", Request{Context: "kind-localdev"}},
		{"every field", Request{Context: "kind-localdev", Kubeconfig: "/home/u/.kube/config", Namespace: "gitea", Secret: "gitea-credential", Timeout: 4950 * time.Millisecond}},
		{"a GiteaProvider's keys", Request{Context: "kind-localdev", Namespace: "gitea-system", Secret: "my-admin", PasswordKey: "adminPassword", Username: "giteaAdmin"}},
		{"both keys", Request{Context: "kind-localdev", UsernameKey: "user", PasswordKey: "-pass"}},
		{"spaces", Request{Context: "ctx with spaces", Kubeconfig: "/home/u/my configs/kube config", Namespace: "n s", Secret: " "}},
		{"equals signs", Request{Context: "a=b", Kubeconfig: "/k/kube=config", Namespace: "=", Secret: "x==y"}},
		{"values that look like flags", Request{Context: "--context", Kubeconfig: "-", Namespace: "-h", Secret: "--timeout=1s"}},
		{"quotes and unicode", Request{Context: `it's "quoted"`, Kubeconfig: "/tmp/ü/config", Timeout: time.Nanosecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.req.Args()
			if args[0] != ReadSecretCommand {
				t.Fatalf("Args()[0] = %q, want %q", args[0], ReadSecretCommand)
			}
			got, err := ParseRequest(args[1:])
			if err != nil {
				t.Fatalf("ParseRequest(%q): %v", args[1:], err)
			}
			if !reflect.DeepEqual(got, tc.req) {
				t.Errorf("round trip of %+v gave %+v (args %q)", tc.req, got, args)
			}
		})
	}
}

func TestParseRequestRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a flag twice", []string{"--context=a", "--context=b"}, "given twice"},
		{"an unknown flag", []string{"--context=a", "--password=x"}, "unknown flag: --password"},
		{"a flag without its value", []string{"--context"}, "needs an argument: --context"},
		{"single dash", []string{"-context", "a"}, "unknown shorthand flag"},
		{"a stray argument", []string{"--context=a", "extra"}, `unexpected argument "extra"`},
		{"a bad timeout", []string{"--context=a", "--timeout=soon"}, "not a positive duration"},
		{"a negative timeout", []string{"--context=a", "--timeout=-1s"}, "not a positive duration"},
		{"a zero timeout", []string{"--context=a", "--timeout=0s"}, "not a positive duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRequest(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("ParseRequest(%q) = %v; want one line containing %q", tc.args, err, tc.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), ReadSecretCommand) {
				t.Errorf("%v: the error does not name %s", err, ReadSecretCommand)
			}
		})
	}
}

func TestParseRequestAcceptsSeparateValues(t *testing.T) {
	got, err := ParseRequest([]string{"--context", "kind-x", "--timeout", "2s", "--secret", "s"})
	want := Request{Context: "kind-x", Secret: "s", Timeout: 2 * time.Second}
	if err != nil || got != want {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
}

func TestParseRequestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--context=x", "--help"}} {
		if _, err := ParseRequest(args); !errors.Is(err, pflag.ErrHelp) {
			t.Errorf("ParseRequest(%q) = %v, want pflag.ErrHelp", args, err)
		}
	}
}

func TestForwarded(t *testing.T) {
	want := []string{"install", "uninstall", "status", "refresh", "export"}
	if got := ForwardedNames(); !slices.Equal(got, want) {
		t.Errorf("Forwarded() = %q, want %q", got, want)
	}
	for _, name := range []string{"get", "store", "erase", "list", "git", "version", "help", ReadSecretCommand} {
		if slices.Contains(ForwardedNames(), name) {
			t.Errorf("%q must not be forwarded: the helper answers it, or only the helper runs it", name)
		}
	}
	for _, c := range Forwarded() {
		if c.Summary == "" || c.Args == "" || c.Run != nil {
			t.Errorf("forwarded command %+v needs its usage line (and no Run: the helper forwards it)", c)
		}
	}
}

// The helper sends the table's context, often none: the companion picks it.
func TestParseRequestWithoutAContext(t *testing.T) {
	got, err := ParseRequest(nil)
	if err != nil || got != (Request{}) {
		t.Fatalf("got %+v, %v; want an empty request", got, err)
	}
	if args := (Request{Namespace: "gitea"}).Args(); len(args) != 2 || args[1] != "--namespace=gitea" {
		t.Fatalf("Args of a request without a context = %q", args)
	}
}
