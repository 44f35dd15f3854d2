package contractcli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/contract/webhooks"
)

// webhooksOptions are the flags of `contract webhooks`.
type webhooksOptions struct {
	spec, signKey, failOn string
	out                   outputs
}

func newWebhooksCmd(stdout io.Writer, getenv func(string) string) *cobra.Command {
	var o webhooksOptions
	cmd := &cobra.Command{
		Use:   "webhooks --spec FILE LOG...",
		Short: "Check a recorded webhook log against the spec's webhook schemas",
		Long: `Check every delivery of one or more webhook logs (JSON Lines, gzipped or not:
the format recon ingest webhooks reads) against the spec's webhooks: 3.1
` + "`webhooks`" + `, or ` + "`x-webhooks`" + ` in a 3.0 document. Each delivery is given the
webhook it fits best and walked for drift with the finding names of
contract test; drift is counted per kind and per field, with the first line
it was seen at. A log of any size is read in constant memory.

With a sign key (--sign-key, or better OXPAY_SIGN_KEY, as a flag shows in
process lists) every Signature header is verified, over the payload as
received or its compact form; invalid and unsigned deliveries are counted.

--fail-on breaking (default) exits 1 on breaking drift (undocumented_field
is a warning), on any signature that fails when a key is given, and on any
line that is not a delivery; drift exits 1 on warnings too; none never.

Exit codes:
  0  no finding at the --fail-on level
  1  drift, signature failures or unusable lines at the --fail-on level
  2  bad usage, an unreadable spec or log, or a spec without webhooks`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWebhooks(cmd, o, args, stdout, getenv)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.spec, "spec", "", "the OpenAPI document whose webhooks the logs are checked against (required)")
	f.StringVar(&o.signKey, "sign-key", "", "OxPay sign key to verify signatures with (default $"+contract.EnvOxPaySignKey+")")
	f.StringVar(&o.failOn, "fail-on", webhooks.FailOnBreaking, "exit 1 on: breaking, drift or none")
	o.out.register(cmd)
	return cmd
}

func runWebhooks(cmd *cobra.Command, o webhooksOptions, logs []string, stdout io.Writer, getenv func(string) string) error {
	if o.spec == "" {
		return &codeError{ExitUsage, fmt.Errorf("--spec is required")}
	}
	if err := webhooks.ValidFailOn(o.failOn); err != nil {
		return &codeError{ExitUsage, err}
	}
	key := o.signKey
	if key == "" {
		key = getenv(contract.EnvOxPaySignKey)
	}
	b, err := os.ReadFile(o.spec)
	if err != nil {
		return &codeError{ExitUsage, fmt.Errorf("read spec: %w", err)}
	}
	c, err := webhooks.Load(o.spec, b, webhooks.Options{SignKey: key})
	if errors.Is(err, webhooks.ErrNoWebhooks) {
		err = fmt.Errorf("%s: %w", o.spec, err)
	}
	if err != nil {
		return &codeError{ExitUsage, err}
	}
	// Open every log first, so a typo in the last name does not cost a
	// long read of the others.
	files := make([]*os.File, 0, len(logs))
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for _, path := range logs {
		f, err := os.Open(path)
		if err != nil {
			return &codeError{ExitUsage, fmt.Errorf("open webhook log: %w", err)}
		}
		files = append(files, f)
	}
	for i, f := range files {
		if err := c.ReadLog(cmd.Context(), logs[i], f); err != nil {
			return err
		}
	}
	rep := c.Report()
	rep.FailOn = o.failOn
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if err := o.out.write(rep); err != nil {
		return err
	}
	if rep.Failed() {
		return errGateFailed
	}
	return nil
}
