// Package install wires docker, the containers tools and git to the helper
// for the registries of an idpbuilder cluster (install), and undoes exactly
// that (uninstall).
//
// One file per job: install.go runs the steps of install, localbuild.go
// finds the registries, takeover.go leaves other people's registries alone,
// dockerconfig.go edits the docker config and containers auth files,
// trust.go installs the cluster's CA, uninstall.go undoes it all. The user's
// folders come from internal/userdirs, git's settings from
// internal/gitconfig; internal/status checks what install set up.
package install
