package buildx

import "path/filepath"

// DefaultConfigName is the BuildKit configuration buildx copies into every
// builder it creates when `docker buildx create` gets no --buildkitd-config.
const DefaultConfigName = "buildkitd.default.toml"

// ConfigDir is buildx's own folder, as buildx chooses it: $BUILDX_CONFIG,
// else "buildx" in the docker config folder (--config, $DOCKER_CONFIG or
// ~/.docker: dockerConfigDir).
func ConfigDir(getenv func(string) string, dockerConfigDir string) string {
	if d := getenv("BUILDX_CONFIG"); d != "" {
		return d
	}
	return filepath.Join(dockerConfigDir, "buildx")
}

// DefaultConfigFile is buildkitd.default.toml in buildx's folder.
func DefaultConfigFile(getenv func(string) string, dockerConfigDir string) string {
	return filepath.Join(ConfigDir(getenv, dockerConfigDir), DefaultConfigName)
}
