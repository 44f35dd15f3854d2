// Command contract runs spec-driven API contract checks; see
// internal/contractcli.
package main

import (
	"os"

	"github.com/reconkit/reconkit/internal/contractcli"
)

func main() {
	os.Exit(contractcli.Run(os.Args[1:], os.Stdout, os.Stderr))
}
