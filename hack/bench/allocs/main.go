// Command allocs reports the heap allocations of one credential `get` inside
// the process, past the program's initialisation (which GODEBUG=inittrace=1
// reports): wiring the helper from the environment, then Get of a host.
//
// Usage: allocs LABEL=HOST ...   (the environment is the helper's)
//
// It prints one Markdown table row per host: label, allocations, bytes, time.
package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cnoe-io/docker-credential-idpbuilder/internal/companion"
	"github.com/cnoe-io/docker-credential-idpbuilder/internal/helper"
)

func main() {
	for _, arg := range os.Args[1:] {
		label, host, _ := strings.Cut(arg, "=")
		res := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h, err := helper.FromEnvironment(os.Getenv, os.Stderr, &companion.Client{})
				if err != nil {
					b.Fatal(err)
				}
				h.Get(host)
			}
		})
		fmt.Printf("| `%s` | %d | %d | %.3f ms |\n", label, res.AllocsPerOp(), res.AllocedBytesPerOp(),
			float64(res.NsPerOp())/1e6)
	}
}
