// Package contractcli is the command layer of the contract binary: flags,
// the config file, the environment, exit codes and report files. The
// engine lives in package contract and its writers in contract/report.
package contractcli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/contract"
)

// Version is set at build time.
var Version = "dev"

// Exit codes, documented in --help and docs/contract.md.
const (
	ExitOK          = 0
	ExitFail        = 1 // a breaking finding or a failed check
	ExitUsage       = 2 // bad usage, config or spec
	ExitUnreachable = 3 // the target did not answer at all
)

const exitCodesHelp = `Exit codes:
  0  no breaking finding
  1  a breaking finding or a failed check
  2  bad usage, config, scenario, baseline or spec
  3  target unreachable`

// Run executes the contract command line and returns the exit code.
// Secrets come from the process environment.
func Run(args []string, stdout, stderr io.Writer) int {
	return RunWithEnv(args, stdout, stderr, os.Getenv)
}

// RunWithEnv is Run with the environment given as a lookup function, so
// tests run the whole CLI in-process without touching the real one.
func RunWithEnv(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	root := &cobra.Command{
		Use:           "contract",
		Short:         "Spec-driven API contract checks",
		Long:          "Spec-driven API contract checks.\n\n" + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// contract --version, as contract version says it.
	root.Version = Version
	root.SetVersionTemplate("contract {{.Version}}\n")
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
	}, newChecksCmd(stdout), newTestCmd(stdout, stderr, getenv), newDiffCmd(stdout), newLintCmd(stdout), newWebhooksCmd(stdout, getenv))
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	// A failed gate has been explained by the report already.
	if !errors.Is(err, errGateFailed) {
		fmt.Fprintf(stderr, "contract: %v\n", err)
	}
	return exitCode(err)
}

// loadSpec builds the document's v3 model and returns its operation count.
func loadSpec(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read spec: %w", err)
	}
	s, err := contract.Load(path, b)
	if err != nil {
		return 0, err
	}
	return len(s.Operations), nil
}

// newChecksCmd lists every check with its default severity.
func newChecksCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "checks",
		Short: "List every check and finding name with its default severity",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			for _, c := range contract.Checks {
				if _, err := fmt.Fprintf(stdout, "%-32s %-8s %s\n", c.Name, c.Severity, c.Description); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
