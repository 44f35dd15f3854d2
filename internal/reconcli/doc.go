// Package reconcli is the command layer of the recon binary: flags, config
// loading, logging set-up and exit codes. It is the only package that
// reads flags, the environment and config files; the domain packages take
// options and writers and return values and errors. Run takes the
// arguments and streams, so tests drive the whole CLI in-process.
package reconcli
