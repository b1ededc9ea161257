// Package userdirs finds the user's folders and the files docker and the
// containers tools read, the way those tools find them.
package userdirs

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Dirs looks folders up in an environment, so tests and commands that act
// for a user see the same files.
type Dirs struct {
	Getenv func(string) string
	// Root prefixes the system folders (/run, /etc); empty in production.
	Root string
	// GOOS is the platform whose tools' folders Dirs finds; empty means
	// runtime.GOOS.
	GOOS string
}

// Home is $HOME (%USERPROFILE% on Windows, as the docker CLI reads it, even
// where Git Bash sets HOME), else the process's home folder.
func (d Dirs) Home() string {
	key := "HOME"
	if d.goos() == "windows" {
		key = "USERPROFILE"
	}
	if h := d.Getenv(key); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// ConfigHome is $XDG_CONFIG_HOME when it is absolute (the XDG rule), else
// ~/.config.
func (d Dirs) ConfigHome() string {
	if c := d.Getenv("XDG_CONFIG_HOME"); c != "" && filepath.IsAbs(c) {
		return c
	}
	return filepath.Join(d.Home(), ".config")
}

// DockerConfigDir is override (--docker-config), else $DOCKER_CONFIG, else
// ~/.docker, as the docker CLI chooses.
func (d Dirs) DockerConfigDir(override string) string {
	if override != "" {
		return override
	}
	if c := d.Getenv("DOCKER_CONFIG"); c != "" {
		return c
	}
	return filepath.Join(d.Home(), ".docker")
}

// DockerConfigFile is config.json in DockerConfigDir(override).
func (d Dirs) DockerConfigFile(override string) string {
	return filepath.Join(d.DockerConfigDir(override), "config.json")
}

// ContainersAuthFiles are the files skopeo, podman and buildah read before
// the docker config, in their order: $REGISTRY_AUTH_FILE alone when set,
// else ${XDG_RUNTIME_DIR}/containers/auth.json (/run/containers/UID/ without
// a runtime folder) and ~/.config/containers/auth.json. On macOS and
// Windows, where those tools run in a VM and os.Getuid means nothing to
// them (it is -1 on Windows), there is no /run/containers/UID.
func (d Dirs) ContainersAuthFiles() []string {
	if f := d.Getenv("REGISTRY_AUTH_FILE"); f != "" {
		return []string{f}
	}
	var files []string
	if r := d.Getenv("XDG_RUNTIME_DIR"); r != "" {
		files = append(files, filepath.Join(r, "containers", "auth.json"))
	} else if g := d.goos(); g != "darwin" && g != "windows" {
		files = append(files, filepath.Join(d.Root+"/run/containers", fmt.Sprint(os.Getuid()), "auth.json"))
	}
	return append(files, filepath.Join(d.ConfigHome(), "containers", "auth.json"))
}

func (d Dirs) goos() string {
	if d.GOOS != "" {
		return d.GOOS
	}
	return runtime.GOOS
}

// ContainersCertsDir is the user's certs.d folder of the containers tools
// (skopeo, podman, buildah): one folder per registry host holds its CA.
func (d Dirs) ContainersCertsDir() string {
	return filepath.Join(d.ConfigHome(), "containers", "certs.d")
}
