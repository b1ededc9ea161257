package install

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// Discoverer is what discovery reads of a cluster: the GiteaProviders of
// idpbuilder's controller-based architecture and the Localbuilds.
type Discoverer interface {
	Context() string
	Localbuilds(ctx context.Context) ([]idpbuilder.Localbuild, error)
	GiteaProviders(ctx context.Context) ([]idpbuilder.GiteaProvider, error)
}

// SourceDefault is Found.Source for idpbuilder's default host, used when the
// cluster names none.
const SourceDefault = "default"

// Found is one registry the cluster serves, and where its credentials are.
type Found struct {
	// Host is the registry's normalised host[:port], checked like user input.
	Host string
	// Protocol is "http" or "https" as the cluster states it, empty when it
	// states none.
	Protocol string
	// Secret is where the credentials are, as a GiteaProvider states it;
	// zero for a Localbuild's or the default host (idpbuilder's
	// gitea/gitea-credential, or what the table's entry records).
	Secret idpbuilder.SecretRef
	// Source says where the host was found: "GiteaProvider NS/NAME",
	// "Localbuild NAME" or SourceDefault.
	Source string
	// InternalEndpoint is a GiteaProvider's status.internalEndpoint (Gitea's
	// URL inside the cluster) as the provider states it: not validated.
	InternalEndpoint string
}

// FromProvider reports whether a GiteaProvider gave the host.
func (f Found) FromProvider() bool { return f.Secret != (idpbuilder.SecretRef{}) }

// Note is a line for the user about discovery: Level is "warning" or "note".
type Note struct {
	Level, Text string
}

// Discovery is what the cluster says about its registries.
type Discovery struct {
	Registries []Found
	// CAPEM is the Localbuild's self-signed CA; empty when there is none.
	CAPEM string
	// Notes say what discovery skipped or fell back from, in order.
	Notes []Note
}

func (d *Discovery) warn(format string, args ...any) {
	d.Notes = append(d.Notes, Note{"warning", fmt.Sprintf(format, args...)})
}

func (d *Discovery) note(format string, args ...any) {
	d.Notes = append(d.Notes, Note{"note", fmt.Sprintf(format, args...)})
}

// Hosts lists the registries' hosts, in discovery order.
func (d Discovery) Hosts() []string {
	hosts := make([]string, len(d.Registries))
	for i, f := range d.Registries {
		hosts[i] = f.Host
	}
	return hosts
}

// Lookup finds host among the registries.
func (d Discovery) Lookup(host string) (Found, bool) {
	for _, f := range d.Registries {
		if f.Host == host {
			return f, true
		}
	}
	return Found{}, false
}

// Discover finds the cluster's registries, as install, status and export
// see them: every ready GiteaProvider (idpbuilder.cnoe.io/v1alpha2) gives
// one, with its own secret; with none, the Localbuild gives them; with no
// Localbuild either, idpbuilder's default host. A cluster that does not
// serve GiteaProviders goes on to the Localbuild silently; a user who may
// not list them, with a note. A ready provider whose status names no usable
// registry or secret is an error naming the field: nothing may be written.
func Discover(ctx context.Context, kc Discoverer) (Discovery, error) {
	var d Discovery
	providers, err := kc.GiteaProviders(ctx)
	switch {
	case errors.Is(err, idpbuilder.ErrNoGiteaProviderResource):
	case errors.Is(err, idpbuilder.ErrForbidden):
		d.note("%v; using the Localbuild", err)
	case err != nil:
		return Discovery{}, err
	}
	found, err := d.fromProviders(providers)
	if err != nil {
		return Discovery{}, err
	}
	if len(found) == 0 {
		lb, err := fromLocalbuild(ctx, kc)
		if err != nil {
			return Discovery{}, err
		}
		lb.Notes = append(d.Notes, lb.Notes...)
		return lb, nil
	}
	d.Registries = found
	// The providers state no CA: the Localbuild's, when there is one, is
	// the ingress's. Without one, --trust-ca says so.
	if builds, err := kc.Localbuilds(ctx); err == nil && len(builds) > 0 {
		d.CAPEM = builds[0].SelfSignedCert
	}
	return d, nil
}

// fromProviders gives the registries of the ready providers, sorted by
// namespace and name; two providers on one host give the first.
func (d *Discovery) fromProviders(providers []idpbuilder.GiteaProvider) ([]Found, error) {
	providers = append([]idpbuilder.GiteaProvider(nil), providers...)
	sort.SliceStable(providers, func(i, j int) bool { return providers[i].ID() < providers[j].ID() })
	var found []Found
	by := map[string]string{} // host -> provider
	for _, p := range providers {
		if !p.Ready() {
			d.warn("GiteaProvider %s is not ready (%s): skipped", p.ID(), p.Readiness())
			continue
		}
		parsed, err := p.Parse()
		if err == nil {
			err = checkEndpoint(p, parsed.Endpoint)
		}
		if err != nil {
			return nil, fmt.Errorf("%w; nothing was written: correct the GiteaProvider (its controller writes the status)", err)
		}
		host := parsed.Endpoint.Registry()
		if first, ok := by[host]; ok {
			d.warn("GiteaProviders %s and %s both serve %s; using %s", first, p.ID(), host, first)
			continue
		}
		by[host] = p.ID()
		found = append(found, Found{Host: host, Protocol: parsed.Endpoint.Scheme, Secret: parsed.Secret,
			Source: "GiteaProvider " + p.ID(), InternalEndpoint: p.InternalEndpoint})
	}
	return found, nil
}

// checkEndpoint checks the endpoint's host and port as a Localbuild's host
// and port are checked: they become config keys, certs.d folder names and
// git config URLs.
func checkEndpoint(p idpbuilder.GiteaProvider, ep idpbuilder.Endpoint) error {
	bad := func(want string) error {
		return &idpbuilder.FieldError{Provider: p.ID(), Field: "status.endpoint", Value: p.Endpoint, Want: want}
	}
	if net.ParseIP(ep.Host) == nil && config.CheckHostName(ep.Host) != nil {
		return bad("a URL whose host is a host name (letters, digits, '-', '_' and dots) or an IP address")
	}
	if ep.Port != "" && config.CheckPort(ep.Port) != nil {
		return bad("a URL whose port is a port number (1-65535)")
	}
	return nil
}
