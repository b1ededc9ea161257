package install

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/idpbuilder"
)

// fromLocalbuild finds the registry hosts from the Localbuild objects. A
// cluster without the resource (an older idpbuilder) gives the default host.
func fromLocalbuild(ctx context.Context, kc Discoverer) (Discovery, error) {
	var d Discovery
	builds, err := kc.Localbuilds(ctx)
	if errors.Is(err, idpbuilder.ErrNoLocalbuildResource) {
		d.warn("context %s has no Localbuild resource (older idpbuilder?): using %s", kc.Context(), idpbuilder.DefaultRegistry)
		d.Registries = []Found{{Host: idpbuilder.DefaultRegistry, Source: SourceDefault}}
		return d, nil
	}
	if err != nil {
		return Discovery{}, err
	}
	if len(builds) == 0 {
		d.warn("context %s has no Localbuild object: using %s", kc.Context(), idpbuilder.DefaultRegistry)
		d.Registries = []Found{{Host: idpbuilder.DefaultRegistry, Source: SourceDefault}}
		return d, nil
	}
	// idpbuilder uses the first Localbuild; one cluster normally has one.
	lb := builds[0]
	if len(builds) > 1 {
		d.warn("context %s has %d Localbuild objects; using %s, as idpbuilder does", kc.Context(), len(builds), lb.Name)
	}
	if err := validateLocalbuild(lb); err != nil {
		return Discovery{}, err
	}
	lb.Protocol = strings.ToLower(lb.Protocol)
	hosts := RegistryHosts(lb)
	if lb.UsePathRouting {
		d.warn("Localbuild %s uses path routing; Gitea's registry needs subdomain routing (idpbuilder create without --use-path-routing), so pushes to %s may fail", lb.Name, hosts[0])
	}
	for _, h := range hosts {
		d.Registries = append(d.Registries, Found{Host: h, Protocol: lb.Protocol, Source: "Localbuild " + lb.Name})
	}
	d.CAPEM = lb.SelfSignedCert
	return d, nil
}

// validateLocalbuild treats the fields that name the registry as the user
// input they are: whoever can edit the Localbuild chooses them, and they
// become config keys, folder names under certs.d and git config URLs. An
// empty field means idpbuilder's default.
func validateLocalbuild(lb idpbuilder.Localbuild) error {
	bad := func(field, value, want string) error {
		return fmt.Errorf("the Localbuild %s: spec.buildCustomization.%s is %q, which is not %s; nothing was written: correct the Localbuild (or recreate the cluster with idpbuilder)", lb.Name, field, value, want)
	}
	for _, f := range []struct{ field, value string }{{"host", lb.Host}, {"ingressHost", lb.IngressHost}} {
		if f.value != "" && config.CheckHostName(f.value) != nil {
			return bad(f.field, f.value, "a host name (letters, digits, '-', '_' and dots)")
		}
	}
	if lb.Port != "" && config.CheckPort(lb.Port) != nil {
		return bad("port", lb.Port, "a port number (1-65535)")
	}
	if p := strings.ToLower(lb.Protocol); p != "" && p != "http" && p != "https" {
		return bad("protocol", lb.Protocol, "http or https")
	}
	return nil
}

// mergeHosts adds the --registry hosts to the discovered ones; explicit
// marks those the user named, which install may take over from another
// helper or credential.
func mergeHosts(found, extra []string) (hosts []string, explicit map[string]bool, err error) {
	set := map[string]bool{}
	for _, h := range found {
		set[h] = true
	}
	explicit = map[string]bool{}
	for _, r := range extra {
		h, err := config.Normalize(r)
		if err != nil {
			return nil, nil, fmt.Errorf("--registry: %w", err)
		}
		set[h], explicit[h] = true, true
	}
	for h := range set {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	return hosts, explicit, nil
}

// RegistryHosts gives the registry hosts a Localbuild serves: gitea.<host>:<port>
// with subdomain routing (and gitea.<ingressHost>:<port> when that differs),
// <host>:<port> with path routing.
func RegistryHosts(lb idpbuilder.Localbuild) []string {
	host, port := lb.Host, lb.Port
	if host == "" {
		host = idpbuilder.DefaultHost
	}
	if port == "" {
		port = idpbuilder.DefaultPort
	}
	join := func(h string) string {
		h = strings.ToLower(h)
		if (lb.Protocol == "http" && port == "80") || (lb.Protocol != "http" && port == "443") {
			return h // clients send the bare host for the default port
		}
		return net.JoinHostPort(h, port)
	}
	if lb.UsePathRouting {
		return []string{join(host)}
	}
	hosts := []string{join("gitea." + host)}
	if lb.IngressHost != "" && !strings.EqualFold(lb.IngressHost, host) {
		hosts = append(hosts, join("gitea."+lb.IngressHost))
	}
	return hosts
}
