package status

import (
	"fmt"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/cli"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
)

// ExportedSecret is a Secret 'export' wrote into a registry's cluster.
type ExportedSecret struct {
	Namespace, Name string
	// Stale: its credential is not the cluster's current one.
	Stale bool
	// Unknown says why staleness could not be told, when it could not.
	Unknown string
}

// ExportLister lists the Secrets 'export' wrote for host into the cluster
// reg names; it returns none when the user may not list them.
type ExportLister func(host string, reg config.Registry) ([]ExportedSecret, error)

// exportCheck says where the host's credential was exported and which
// copies are stale. ok is false when there is nothing to say: nothing was
// exported, or the cluster could not be asked (the cluster check says so).
// It never blocks: the helper works without it.
func (c *Checker) exportCheck(host string, reg config.Registry) (Check, bool) {
	if c.Exports == nil {
		return Check{}, false
	}
	list, err := c.Exports(host, reg)
	if err != nil || len(list) == 0 {
		return Check{}, false
	}
	var all, stale, unknown []string
	for _, s := range list {
		id := s.Namespace + "/" + s.Name
		all = append(all, id)
		switch {
		case s.Unknown != "":
			unknown = append(unknown, id)
		case s.Stale:
			stale = append(stale, id)
		}
	}
	ch := Check{Name: "exported", OK: true, Detail: "pull/push Secrets, current: " + strings.Join(all, ", ")}
	switch {
	case len(stale) > 0:
		ch.OK = false
		ch.Detail = fmt.Sprintf("stale (an older credential than the cluster's): %s", strings.Join(stale, ", "))
		ch.Fix = "run '" + cli.Name + " refresh'"
	case len(unknown) > 0:
		ch.OK = false
		ch.Detail = fmt.Sprintf("cannot tell whether these are current (their source secret cannot be read): %s", strings.Join(unknown, ", "))
		ch.Fix = "export them again, or remove them with '" + cli.Name + " export --delete'"
	}
	return ch, true
}
