package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/aspire-graphql/aspire-graphql/config"
)

// programName is how the program names itself in every message, whatever
// path it runs from (go run's build cache, a container's /app/server).
const programName = "aspire-graphql"

// mainUsage is `aspire-graphql -h`: what it is, its commands, an example,
// then every setting.
func mainUsage(w io.Writer) {
	fmt.Fprintf(w, `%[1]s: one GraphQL endpoint over Aspire's REST API.

  %[1]s [flags]                  serve; with no flags, the demo over a built-in simulator
  %[1]s export posts|members …   write a whole table as CSV or NDJSON (export -h)
  %[1]s doctor [flags]           check an Aspire key, client id and API (doctor -h)

Examples:
  %[1]s                                              # the demo: open http://127.0.0.1:8080/
  %[1]s -upstream-url https://<aspire-api-host>      # passthrough: each caller sends its key

`, programName)
	config.Usage(w, programName)
}

// connectionFlags are the settings a command needs to reach Aspire; the
// rest are the server's (aspire-graphql -h).
var connectionFlags = []string{"upstream-url", "api-key", "client-id", "attempt-timeout"}

// commandUsage prints a subcommand's usage: its line, what it does, an
// example, its own flags, then the connection settings.
func commandUsage(w io.Writer, line, what, example string, own func(*flag.FlagSet)) {
	fmt.Fprintf(w, "Usage: %s %s\n\n%s\n\nExample:\n  %s %s\n\nFlags:\n", programName, line, what, programName, example)
	fs := flag.NewFlagSet(programName, flag.ContinueOnError)
	own(fs)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nConnecting to Aspire (without -upstream-url: the demo's simulated workspace; %s -h lists every setting):\n", programName)
	// The settings' own flag set, to read the connection flags' usage from.
	all := flag.NewFlagSet(programName, flag.ContinueOnError)
	_, _, _ = config.LoadWithUsage(programName, nil, func(string) string { return "" }, io.Discard, func(f *flag.FlagSet) { all = f }, nil)
	for _, name := range connectionFlags {
		if f := all.Lookup(name); f != nil {
			fmt.Fprintf(w, "  -%s\n    \t%s\n", f.Name, f.Usage)
		}
	}
}
