package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// The CLI's conventions, one place for every subcommand (as the Go tools and kubectl
// do): -h / --help prints the usage and every flag, shared ones included, to standard
// output and exits 0; a usage error exits 2 with one line saying what is wrong; a
// server's error exits 1 with its message (printError); a local error (a file that
// cannot be read) exits 1 and is not dressed as a gRPC code. Flags may come before or
// after the arguments.

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the server refused, or a local file could not be used
	exitUsage = 2
)

// command is one subcommand: its name ("paymix import"), usage text (synopsis and what
// it does; the flags are listed after it) and flags.
type command struct {
	name, usage    string
	fs             *flag.FlagSet
	stdout, stderr io.Writer
	args           []string // the arguments left once flags are parsed
}

func newCommand(name, usage string, stdout, stderr io.Writer) *command {
	c := &command{name: name, usage: usage, fs: flag.NewFlagSet(name, flag.ContinueOnError), stdout: stdout, stderr: stderr}
	c.fs.SetOutput(io.Discard) // parse errors are printed here, in one line
	c.fs.Usage = func() {}
	return c
}

// printUsage prints the usage and the flags to w.
func (c *command) printUsage(w io.Writer) {
	fmt.Fprint(w, strings.TrimRight(c.usage, "\n")+"\n")
	var any bool
	c.fs.VisitAll(func(*flag.Flag) { any = true })
	if any {
		fmt.Fprintln(w, "\nFlags:")
		c.fs.SetOutput(w)
		c.fs.PrintDefaults()
		c.fs.SetOutput(io.Discard)
	}
}

// parse reads flags wherever they are among the arguments ("--" ends them). ok is
// false when the command is done: help was asked for (code 0) or the flags are wrong
// (code 2, one line printed).
func (c *command) parse(args []string) (code int, ok bool) {
	for {
		err := c.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.printUsage(c.stdout)
			return exitOK, false
		}
		if err != nil {
			return c.usageError("%v", err), false
		}
		rest := c.fs.Args()
		consumed := args[:len(args)-len(rest)]
		if len(rest) == 0 {
			return 0, true
		}
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			c.args = append(c.args, rest...)
			return 0, true
		}
		c.args = append(c.args, rest[0])
		args = rest[1:]
	}
}

// usageError prints one line, and where help is, and returns exit code 2.
func (c *command) usageError(format string, a ...any) int {
	fmt.Fprintf(c.stderr, "%s: %s (see %s -h)\n", c.name, fmt.Sprintf(format, a...), c.name)
	return exitUsage
}

// localError prints a local failure (a file, the connection) and returns exit code 1.
func (c *command) localError(err error) int {
	fmt.Fprintf(c.stderr, "%s: %v\n", c.name, err)
	return exitError
}

// serverError prints the server's error and returns exit code 1.
func (c *command) serverError(err error) int {
	printError(c.stderr, c.name, err)
	return exitError
}
