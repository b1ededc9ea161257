package userdirs

import (
	"cmp"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestDirs(t *testing.T) {
	uid := fmt.Sprint(os.Getuid())
	tests := []struct {
		name     string
		goos     string // empty: linux
		env      map[string]string
		override string
		// want: ConfigHome, DockerConfigFile, ContainersAuthFiles joined by " "
		config, docker, auth string
	}{
		{"defaults", "", map[string]string{"HOME": "/h"}, "",
			"/h/.config", "/h/.docker/config.json", "/root/run/containers/" + uid + "/auth.json /h/.config/containers/auth.json"},
		{"XDG folders", "", map[string]string{"HOME": "/h", "XDG_CONFIG_HOME": "/x", "XDG_RUNTIME_DIR": "/r"}, "",
			"/x", "/h/.docker/config.json", "/r/containers/auth.json /x/containers/auth.json"},
		{"a relative XDG_CONFIG_HOME is ignored", "", map[string]string{"HOME": "/h", "XDG_CONFIG_HOME": "x"}, "",
			"/h/.config", "/h/.docker/config.json", "/root/run/containers/" + uid + "/auth.json /h/.config/containers/auth.json"},
		{"DOCKER_CONFIG and REGISTRY_AUTH_FILE", "", map[string]string{"HOME": "/h", "DOCKER_CONFIG": "/d", "REGISTRY_AUTH_FILE": "/a.json"}, "",
			"/h/.config", "/d/config.json", "/a.json"},
		{"--docker-config wins", "", map[string]string{"HOME": "/h", "DOCKER_CONFIG": "/d"}, "/flag",
			"/h/.config", "/flag/config.json", "/root/run/containers/" + uid + "/auth.json /h/.config/containers/auth.json"},
		// The containers tools run in a VM there: no /run/containers/UID.
		{"macOS", "darwin", map[string]string{"HOME": "/h"}, "",
			"/h/.config", "/h/.docker/config.json", "/h/.config/containers/auth.json"},
		{"Windows", "windows", map[string]string{"USERPROFILE": "/h", "HOME": "/git-bash"}, "",
			"/h/.config", "/h/.docker/config.json", "/h/.config/containers/auth.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Dirs{Getenv: func(k string) string { return tt.env[k] }, Root: "/root", GOOS: cmp.Or(tt.goos, "linux")}
			if got := d.ConfigHome(); got != tt.config {
				t.Errorf("ConfigHome = %q, want %q", got, tt.config)
			}
			if got := d.DockerConfigFile(tt.override); got != tt.docker {
				t.Errorf("DockerConfigFile = %q, want %q", got, tt.docker)
			}
			if got := strings.Join(d.ContainersAuthFiles(), " "); got != tt.auth {
				t.Errorf("ContainersAuthFiles = %q, want %q", got, tt.auth)
			}
			if got, want := d.ContainersCertsDir(), tt.config+"/containers/certs.d"; got != want {
				t.Errorf("ContainersCertsDir = %q, want %q", got, want)
			}
		})
	}
}

func TestHomeFallsBackToTheProcesssHome(t *testing.T) {
	want, err := os.UserHomeDir()
	if err != nil {
		t.Skip(err)
	}
	if got := (Dirs{Getenv: func(string) string { return "" }}).Home(); got != want {
		t.Fatalf("Home = %q, want %q", got, want)
	}
}
