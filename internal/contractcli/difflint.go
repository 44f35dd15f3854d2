package contractcli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/contract/diff"
	"github.com/reconkit/reconkit/contract/lint"
)

// outputs are the report files a command can write beside its console
// summary.
type outputs struct {
	json, markdown, junit, sarif string
}

func (o *outputs) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.json, "json", "", "write the findings as JSON to FILE")
	cmd.Flags().StringVar(&o.markdown, "markdown", "", "write a Markdown summary (for a CI job summary) to FILE")
	cmd.Flags().StringVar(&o.junit, "junit", "", "write JUnit XML to FILE")
	cmd.Flags().StringVar(&o.sarif, "sarif", "", "write SARIF 2.1.0 to FILE")
}

// writers is the set of report writers a result has.
type writers interface {
	WriteJSON(io.Writer) error
	WriteMarkdown(io.Writer) error
	WriteJUnit(io.Writer) error
	WriteSARIF(io.Writer) error
}

func (o *outputs) write(r writers) error {
	for _, f := range []struct {
		path  string
		write func(io.Writer) error
	}{{o.json, r.WriteJSON}, {o.markdown, r.WriteMarkdown}, {o.junit, r.WriteJUnit}, {o.sarif, r.WriteSARIF}} {
		if f.path == "" {
			continue
		}
		if err := writeReport(f.path, f.write); err != nil {
			return err
		}
	}
	return nil
}

func writeReport(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return &codeError{ExitUsage, fmt.Errorf("create %s: %w", path, err)}
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func newDiffCmd(stdout io.Writer) *cobra.Command {
	var (
		out        outputs
		failOn     string
		ignorePath string
	)
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "List every change between two versions of a spec, judged breaking by who breaks",
		Long: `Compare two versions of an OpenAPI 3.0 or 3.1 document and list every change
with its location, classified breaking or not by rules that know direction
(see docs/contract-diff-lint.md): a new enum value breaks a response, not a
request; a new required field breaks a request, not a response. One change
to a shared component is one finding listing the operations it reaches.

OLD and NEW are files or git revisions (REV:PATH, e.g. main:specs/xepeng-openapi.yaml).
--fail-on breaking (default), any or none sets when the command exits 1.

` + exitCodesHelp,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := diff.ValidFailOn(failOn); err != nil {
				return &codeError{ExitUsage, err}
			}
			oldB, oldName, err := diff.LoadRef(args[0], ".")
			if err != nil {
				return &codeError{ExitUsage, err}
			}
			newB, newName, err := diff.LoadRef(args[1], ".")
			if err != nil {
				return &codeError{ExitUsage, err}
			}
			opts := diff.Options{Old: oldB, New: newB, OldName: oldName, NewName: newName, FailOn: failOn, Now: time.Now()}
			if ignorePath != "" {
				b, err := os.ReadFile(ignorePath)
				if err != nil {
					return &codeError{ExitUsage, fmt.Errorf("read ignore file: %w", err)}
				}
				if opts.Ignore, err = diff.ParseIgnoreFile(b, ignorePath); err != nil {
					return &codeError{ExitUsage, err}
				}
			}
			rep, err := diff.Run(cmd.Context(), opts)
			if err != nil {
				return &codeError{ExitUsage, err}
			}
			if err := rep.WriteText(stdout); err != nil {
				return err
			}
			if err := out.write(rep); err != nil {
				return err
			}
			if rep.Crossed(failOn) {
				return errGateFailed
			}
			return nil
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&failOn, "fail-on", "breaking", "exit 1 on: breaking, any or none")
	cmd.Flags().StringVar(&ignorePath, "ignore", "", "YAML file of accepted changes, each with a reason and an expiry date")
	return cmd
}

func newLintCmd(stdout io.Writer) *cobra.Command {
	var out outputs
	cmd := &cobra.Command{
		Use:   "lint SPEC",
		Short: "Report problems inside a spec: invalid examples, structural defects, unknown schemes, broken refs",
		Long: `Report problems in a spec itself, each with its line: examples that do not
validate against their own schema, paths with a query string, security
schemes of unknown type, $refs that do not resolve, operations without a
success response, missing operationIds, and the structural defects a spec
validator reports (conflicting paths, duplicate or misplaced parameters,
path parameters not required, invalid patterns and types, server URLs,
3.1-only keywords in a 3.0 document, a missing info.version).

Findings with one root cause are one line, with the count and the first
location; --json lists every finding. Exit 1 when any finding is an error.

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(args[0])
			if err != nil {
				return &codeError{ExitUsage, fmt.Errorf("read spec: %w", err)}
			}
			rep, err := lint.Run(b, args[0])
			if err != nil {
				return &codeError{ExitUsage, err}
			}
			if err := rep.WriteText(stdout); err != nil {
				return err
			}
			if err := out.write(rep); err != nil {
				return err
			}
			if rep.Failed() {
				return errGateFailed
			}
			return nil
		},
	}
	out.register(cmd)
	return cmd
}
