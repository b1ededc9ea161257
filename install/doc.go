// Package install wires docker, the containers tools and git to the helper
// (install), undoes exactly that (uninstall), and checks it (status).
//
// One file per job: install.go runs the steps of install, localbuild.go
// finds the registries, takeover.go leaves other people's registries alone,
// dockerconfig.go edits the docker and containers files (which
// internal/userdirs finds), trust.go installs the cluster's CA (internal/gitconfig
// configures git), uninstall.go and status.go are those commands.
package install
