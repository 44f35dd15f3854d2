// Package contractcli is the command layer of the contract binary. Today
// it loads and checks the OpenAPI documents; the spec-driven test runner,
// diff, webhook validation and lint are built on top of it.
package contractcli

import (
	"fmt"
	"io"
	"os"

	"github.com/pb33f/libopenapi"
	"github.com/spf13/cobra"
)

// Version is set at build time.
var Version = "dev"

// Exit codes, documented in the README.
const (
	ExitOK    = 0
	ExitFail  = 1
	ExitUsage = 2 // bad usage, config or spec
)

type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }

// Run executes the contract command line and returns the exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:           "contract",
		Short:         "Spec-driven API contract checks",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &codeError{ExitUsage, err} })
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(stdout, "contract %s\n", Version)
			return err
		},
	}, &cobra.Command{
		Use:   "load SPEC...",
		Short: "Load OpenAPI documents and report every problem that stops them building",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			for _, path := range args {
				n, err := loadSpec(path)
				if err != nil {
					return &codeError{ExitUsage, err}
				}
				fmt.Fprintf(stdout, "%s: ok, %d operations\n", path, n)
			}
			return nil
		},
	})
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "contract: %v\n", err)
	if ce, ok := err.(*codeError); ok {
		return ce.code
	}
	return ExitUsage
}

// loadSpec builds the document's v3 model and returns its operation count.
func loadSpec(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read spec: %w", err)
	}
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if m == nil || m.Model.Paths == nil {
		return 0, fmt.Errorf("%s: no paths", path)
	}
	n := 0
	for _, item := range m.Model.Paths.PathItems.FromOldest() {
		n += item.GetOperations().Len()
	}
	return n, nil
}
