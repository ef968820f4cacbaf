// Command paymix is the paymix client: it imports market data into a running server
// and manages API keys.
//
//	paymix import --server ADDR --format levelsfyi|paymix --mode strict|lenient FILE
//	paymix keys create|list|revoke
//	paymix offers evaluate|compare FILE
//	paymix bands --grid FILE | --queries FILE | --all
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `Usage: paymix COMMAND [flags]

Commands:
  import    stream a market data file (Levels.fyi CSV, or paymix CSV/JSONL) to a server
  keys      create, list and revoke API keys
  offers    evaluate one offer, or compare two to five (JSON or YAML files)
  bands     bands in bulk: a grid, a CSV of queries, or every cohort, to CSV or JSON lines

Run "paymix COMMAND -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "paymix: give a command: import, keys, offers or bands (see paymix -h)")
		return exitUsage
	}
	switch args[0] {
	case "import":
		return runImport(ctx, args[1:], stdout, stderr)
	case "keys":
		return runKeys(ctx, args[1:], stdout, stderr)
	case "offers":
		return runOffers(ctx, args[1:], stdout, stderr)
	case "bands":
		return runBands(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "paymix: unknown command %q: import, keys, offers or bands (see paymix -h)\n", args[0])
	return exitUsage
}
