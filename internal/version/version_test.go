package version

import (
	"bytes"
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	buildInfo := func(mainVersion string, settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{Main: debug.Module{Path: Module, Version: mainVersion}}
			for i := 0; i+1 < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	noBuildInfo := func() (*debug.BuildInfo, bool) { return nil, false }
	for _, tc := range []struct {
		name          string
		v, c, d       string
		readBuildInfo func() (*debug.BuildInfo, bool)
		want          Info
	}{
		{"a release build: the stamp wins", "v1.2.3", "abc", "2026-11-28T10:00:00Z",
			buildInfo("v0.0.0-x", "vcs.revision", "def", "vcs.time", "2020-01-01T00:00:00Z"),
			Info{"v1.2.3", "abc", "2026-11-28T10:00:00Z"}},
		{"go install ...@v1.2.3", "", "", "", buildInfo("v1.2.3"), Info{Version: "v1.2.3"}},
		{"go build in a checkout", "", "", "", buildInfo("(devel)", "vcs.revision", "def", "vcs.time", "2020-01-01T00:00:00Z"),
			Info{Devel, "def", "2020-01-01T00:00:00Z"}},
		{"go build with -buildvcs=false", "", "", "", buildInfo(""), Info{Version: Devel}},
		{"no build info", "", "", "", noBuildInfo, Info{Version: Devel}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := resolve(tc.v, tc.c, tc.d, tc.readBuildInfo); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCompatible(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"v1.2.3", "v1.2.3", true},
		{"v1.2.3", "v1.2.4", false},
		{"v1.2.3", "v1.2.3-rc1", false},
		{Devel, "v1.2.3", true},
		{"v1.2.3", Devel, true},
		{Devel, Devel, true},
		{"", "v1", true},
		{"0.0.0-SNAPSHOT-abc", "0.0.0-SNAPSHOT-abc", true},
	} {
		if got := Compatible(tc.a, tc.b); got != tc.want {
			t.Errorf("Compatible(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestWriteAndParse(t *testing.T) {
	for _, tc := range []struct {
		info Info
		want string
	}{
		{Info{"v1.2.3", "abc", "2026-11-28T10:00:00Z"},
			"prog (github.com/cnoe-io/docker-credential-idpbuilder) v1.2.3\ncommit: abc\nbuilt: 2026-11-28T10:00:00Z\n"},
		{Info{Version: Devel}, "prog (github.com/cnoe-io/docker-credential-idpbuilder) (devel)\ncommit: unknown\nbuilt: unknown\n"},
	} {
		var out bytes.Buffer
		tc.info.Write(&out, "prog")
		if out.String() != tc.want {
			t.Errorf("Write(%+v) = %q, want %q", tc.info, out.String(), tc.want)
		}
		if v, err := Parse(out.String(), "prog"); err != nil || v != tc.info.Version {
			t.Errorf("Parse(%q) = %q, %v; want %q", out.String(), v, err, tc.info.Version)
		}
	}
	for _, bad := range []string{"", "prog", "other (github.com/cnoe-io/docker-credential-idpbuilder) v1\n",
		"prog (example.com/x) v1\n", "panic: boom\n", "prog (github.com/cnoe-io/docker-credential-idpbuilder) v1 extra\n"} {
		if v, err := Parse(bad, "prog"); err == nil {
			t.Errorf("Parse(%q) = %q; want an error", bad, v)
		}
	}
}
