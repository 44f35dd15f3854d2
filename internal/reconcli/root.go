package reconcli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X ...reconcli.Version=...".
var Version = "dev"

// env is the process environment, replaceable in tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	logger         *slog.Logger
	// interactive is true when a person watches stderr: a terminal,
	// text logs, not --quiet.
	interactive bool
	// stopProfile ends the --cpuprofile profile, if one was started.
	stopProfile func() error
	// phases is the bar of a long command running, if any (progress.go).
	phases *phaseBar
	// isTTY says whether a writer is a terminal; isTerminal but in
	// tests.
	isTTY func(io.Writer) bool
}

// Run executes the recon command line and returns the exit code. The
// first SIGINT or SIGTERM cancels the command's context, so that it stops
// and records its run as failed; a second one kills it.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // the next signal has its default effect
	}()
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	err := executeContext(ctx, e, args)
	if err != nil {
		fmt.Fprintf(stderr, "recon: %v\n", err)
		if h := hint(err); h != "" {
			fmt.Fprintf(stderr, "recon: %s\n", h)
		}
	}
	return exitCode(err)
}

// execute runs one command line in e.
func execute(e *env, args []string) error {
	return executeContext(context.Background(), e, args)
}

func executeContext(ctx context.Context, e *env, args []string) error {
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if e.stopProfile != nil {
		if perr := e.stopProfile(); perr != nil && err == nil {
			err = perr
		}
	}
	// cobra reports an unknown command as a plain error.
	if err != nil && strings.HasPrefix(err.Error(), "unknown command") {
		err = usageError(err)
	}
	return err
}

type globalFlags struct {
	logFormat string
	logLevel  string
	quiet     bool
	// cpuProfile names a file for a Go CPU profile of the whole command,
	// for an engineer finding out where a slow night's time went.
	cpuProfile string
}

func newRoot(e *env) *cobra.Command {
	var g globalFlags
	root := &cobra.Command{
		Use:   "recon",
		Short: "Reconcile Xepeng orders, OxPay transactions, webhooks and the ledger",
		Long: `recon pulls Xepeng orders and payment links and OxPay transactions into
SQLite, loads webhook logs and ledger exports, matches them, and writes a
workbook for finance plus machine-readable exceptions.

` + exitCodeHelp(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			l, err := newLogger(e.stderr, g, e.isTTY)
			if err != nil {
				return usageError(err)
			}
			e.logger = l
			if e.isTTY == nil {
				e.isTTY = isTerminal
			}
			e.interactive = !g.quiet && e.isTTY(e.stderr) && g.logFormat != "json"
			if g.cpuProfile != "" {
				stop, err := startCPUProfile(g.cpuProfile)
				if err != nil {
					return usageError(err)
				}
				e.stopProfile = stop
			}
			return nil
		},
	}
	// recon --version, as recon version says it.
	root.Version = Version
	root.SetVersionTemplate("recon {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "auto", "log format: auto (text on a terminal, JSON otherwise), text or json")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "log warnings and errors only")
	root.PersistentFlags().StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file (read it with go tool pprof)")
	root.AddCommand(newVersionCmd(e), newInitCmd(e), newSandboxCmd(e), newFetchCmd(e), newIngestCmd(e), newMatchCmd(e), newReportCmd(e), newRunCmd(e), newDemoCmd(e), newDecisionsCmd(e))
	return root
}

// startCPUProfile starts the runtime's CPU profiler into path and
// returns what stops it and closes the file.
func startCPUProfile(path string) (func() error, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile %s: %w", path, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		return nil
	}, nil
}

func newLogger(w io.Writer, g globalFlags, isTTY func(io.Writer) bool) (*slog.Logger, error) {
	if isTTY == nil {
		isTTY = isTerminal
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", g.logLevel, err)
	}
	if g.quiet && level < slog.LevelWarn {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	format := g.logFormat
	if format == "auto" {
		format = "json"
		if isTTY(w) {
			format = "text"
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q must be auto, text or json", g.logFormat)
	}
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(e.stdout, "recon %s\n", Version)
			return err
		},
	}
}

// noArgs and minArgs are cobra's validators with usage exit codes.
func noArgs(cmd *cobra.Command, args []string) error {
	return usageError(cobra.NoArgs(cmd, args))
}

func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return usageError(cobra.MinimumNArgs(n)(cmd, args))
	}
}
