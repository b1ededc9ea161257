// Command hello is the startup floor of a Go program: it prints one line.
package main

import "os"

func main() { os.Stdout.WriteString("hello, world\n") }
