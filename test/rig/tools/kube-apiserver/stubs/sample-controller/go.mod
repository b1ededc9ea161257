// Stub: k8s.io/sample-controller is not published; kube-apiserver does not use it.
module k8s.io/sample-controller

go 1.26.0
