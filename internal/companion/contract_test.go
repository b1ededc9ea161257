package companion

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRequestRoundTrip(t *testing.T) {
	for _, req := range []Request{
		{Context: "kind-localdev"},
		{Context: "kind-localdev", Namespace: "gitea", Secret: "gitea-credential", Timeout: 4950 * time.Millisecond},
		{Context: "ctx with spaces", Kubeconfig: "/home/u/my configs/kube=config", Namespace: "ns", Secret: "a=b"},
		{Context: "--context", Kubeconfig: "-", Secret: "--timeout=1s"},
	} {
		args := req.Args()
		if args[0] != ReadSecretCommand {
			t.Fatalf("Args()[0] = %q, want %q", args[0], ReadSecretCommand)
		}
		got, err := ParseRequest(args[1:])
		if err != nil {
			t.Fatalf("ParseRequest(%q): %v", args, err)
		}
		if !reflect.DeepEqual(got, req) {
			t.Errorf("round trip of %+v gave %+v (args %q)", req, got, args)
		}
	}
}

func TestParseRequestRefuses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "needs --context"},
		{[]string{"--namespace=gitea"}, "needs --context"},
		{[]string{"--context=a", "--context=b"}, "given twice"},
		{[]string{"--context=a", "--password=x"}, "unknown flag --password"},
		{[]string{"--context"}, "needs a value"},
		{[]string{"-context", "a"}, "unexpected argument"},
		{[]string{"--context=a", "extra"}, "unexpected argument"},
		{[]string{"--context=a", "--timeout=soon"}, "not a positive duration"},
		{[]string{"--context=a", "--timeout=-1s"}, "not a positive duration"},
	} {
		_, err := ParseRequest(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseRequest(%q) = %v; want one line containing %q", tc.args, err, tc.want)
		}
	}
}

func TestParseRequestAcceptsSeparateValues(t *testing.T) {
	got, err := ParseRequest([]string{"--context", "kind-x", "--timeout", "2s"})
	if err != nil || got.Context != "kind-x" || got.Timeout != 2*time.Second {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestForwarded(t *testing.T) {
	list := Forwarded()
	for _, name := range []string{"install", "uninstall", "status", "refresh"} {
		if !IsForwarded(name) {
			t.Errorf("%s is not forwarded", name)
		}
	}
	for _, name := range []string{"get", "store", "erase", "list", "git", ReadSecretCommand, ""} {
		if IsForwarded(name) {
			t.Errorf("%q must not be forwarded", name)
		}
	}
	list[0] = "changed"
	if Forwarded()[0] == "changed" {
		t.Error("Forwarded returned its own list, not a copy")
	}
}
