// Package fat links client-go's full generated clientset (every API group's
// typed client and scheme registration) into a build of the helper, to
// measure what the helper saves by making one REST GET instead. bench.sh
// builds the helper's command with this package added; nothing else uses it.
package fat

import "k8s.io/client-go/kubernetes"

// NewForConfig is referenced so the clientset is linked, not only initialised.
var NewForConfig = kubernetes.NewForConfig
