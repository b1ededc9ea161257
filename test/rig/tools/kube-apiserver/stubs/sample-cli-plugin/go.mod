// Stub: k8s.io/sample-cli-plugin is not published; kube-apiserver does not use it.
module k8s.io/sample-cli-plugin

go 1.26.0
