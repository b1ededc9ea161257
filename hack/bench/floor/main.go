// Command floor is the least a keyring-backed credential helper can do: one
// go-keyring Get of the helper's entry for the host given as argument,
// printed as it is stored.
package main

import (
	"fmt"
	"os"

	"github.com/zalando/go-keyring"
)

func main() {
	secret, err := keyring.Get("docker-credential-idpbuilder", os.Args[1])
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(secret)
}
