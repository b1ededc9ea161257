// Command kube-apiserver-tools is never run. This module exists only to pin
// the dependencies of k8s.io/kubernetes/cmd/kube-apiserver, so that
// test/rig/build-kube.sh can build a real API server for the end-to-end rig
// with `go build k8s.io/kubernetes/cmd/kube-apiserver`.
//
// The blank import keeps `go mod tidy` from dropping the requirements.
package main

import _ "k8s.io/kubernetes/cmd/kube-apiserver/app"

func main() {}
