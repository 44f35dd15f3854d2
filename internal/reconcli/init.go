package reconcli

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
)

// starter holds the configs recon init writes.
//
//go:embed starter/recon.yaml starter/recon-sandbox.yaml
var starter embed.FS

// initOptions are the flags of recon init.
type initOptions struct {
	sandbox bool
	force   bool
}

func newInitCmd(e *env) *cobra.Command {
	var o initOptions
	cmd := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a commented starter config (recon.yaml)",
		Long: `Write a commented starter config to FILE (default recon.yaml): the keys a
real night needs, credentials left to the environment. With --sandbox, a
config for the local sandbox that runs with no edits:

  recon init --sandbox
  recon sandbox serve &
  recon sandbox generate
  recon run --config recon.yaml --date 2026-11-08 --summary-html

An existing FILE is kept unless --force. The file is readable by its
owner only (the sandbox's holds the sandbox's credentials).`,
		Args: func(cmd *cobra.Command, args []string) error { return usageError(cobra.MaximumNArgs(1)(cmd, args)) },
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "recon.yaml"
			if len(args) == 1 {
				path = args[0]
			}
			return runInit(e, path, o)
		},
	}
	cmd.Flags().BoolVar(&o.sandbox, "sandbox", false, "a config for the local sandbox (recon sandbox serve), which runs with no edits")
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite FILE if it exists")
	return cmd
}

func runInit(e *env, path string, o initOptions) error {
	name := "starter/recon.yaml"
	if o.sandbox {
		name = "starter/recon-sandbox.yaml"
	}
	body, err := starter.ReadFile(name)
	if err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if o.force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return usageError(fmt.Errorf("%s exists; keep it, or write over it with --force", path))
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(body); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	next := "set XEPENG_CLIENT_ID, XEPENG_CLIENT_SECRET, OXPAY_API_KEY and OXPAY_SIGN_KEY, change what differs, then: recon run --config " + path
	if o.sandbox {
		next = "recon sandbox serve & recon sandbox generate, then: recon run --config " + path + " --date 2026-11-08 --summary-html"
	}
	_, err = fmt.Fprintf(e.stdout, "wrote %s\nnext: %s\n", path, next)
	return err
}
