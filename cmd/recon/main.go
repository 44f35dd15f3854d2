// Command recon is the nightly payment reconciliation; see internal/reconcli.
package main

import (
	"os"

	"github.com/reconkit/reconkit/internal/reconcli"
)

func main() {
	os.Exit(reconcli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
