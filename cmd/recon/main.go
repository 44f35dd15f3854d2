// Command recon is the nightly payment reconciliation; see internal/cli.
package main

import (
	"os"

	"github.com/reconkit/reconkit/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
