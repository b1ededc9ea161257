// Package install wires docker and the containers tools to the helper: the
// credHelpers entries, the containers auth files and the cluster's CA.
package install
