package install

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/config"
)

// Where the user's files are, as docker, the containers tools and the
// helper itself find them.

func (in *Installer) loadTable() (*config.Table, error) {
	return in.loadTableWith(config.Load)
}

// loadTableWith reads the helper's table with load: config.Load checks
// every entry can be used; config.LoadForEdit reads a table that may not.
func (in *Installer) loadTableWith(load func(path string) (*config.Table, error)) (*config.Table, error) {
	path, err := config.DefaultPath(in.Getenv)
	if err != nil {
		return nil, err
	}
	return load(path)
}

func (in *Installer) home() string {
	if h := in.Getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

func (in *Installer) xdgConfigHome() string {
	if d := in.Getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(in.home(), ".config")
}

// dockerConfigDir is --docker-config, else $DOCKER_CONFIG, else ~/.docker.
func (in *Installer) dockerConfigDir(flag string) string {
	if flag != "" {
		return flag
	}
	if d := in.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	return filepath.Join(in.home(), ".docker")
}

func (in *Installer) dockerConfigPath(flag string) string {
	return filepath.Join(in.dockerConfigDir(flag), "config.json")
}

// containersAuthFiles are the files skopeo, podman and buildah read before
// the docker config; an auths entry there shadows our credHelpers entry.
func (in *Installer) containersAuthFiles() []string {
	if f := in.Getenv("REGISTRY_AUTH_FILE"); f != "" {
		return []string{f}
	}
	runtime := in.Getenv("XDG_RUNTIME_DIR")
	var files []string
	if runtime != "" {
		files = append(files, filepath.Join(runtime, "containers", "auth.json"))
	} else {
		files = append(files, filepath.Join(in.SystemRoot+"/run/containers", fmt.Sprint(os.Getuid()), "auth.json"))
	}
	return append(files, filepath.Join(in.xdgConfigHome(), "containers", "auth.json"))
}
