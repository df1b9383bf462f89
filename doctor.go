package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/aspire-graphql/aspire-graphql/aspire/doctor"
	"github.com/aspire-graphql/aspire-graphql/config"
)

// errChecksFailed makes the doctor exit 1 after printing its report.
var errChecksFailed = errors.New("some checks failed")

// doctorCommand runs the Aspire guide's first-contact checks against the
// configured upstream (the simulator in demo mode) and prints one line per
// check, or JSON with --json. Exit status 0 when every check passes.
func doctorCommand(ctx context.Context, name string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	asJSON, writeContract := false, ""
	flags := func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
		fs.StringVar(&writeContract, "write-contract", "", "write a contract file matching what the checks found (the -contract one, or the built-in, with the differences found)")
	}
	usage := func(w io.Writer) {
		commandUsage(w, "doctor [-upstream-url URL -api-key KEY -client-id ID] [-contract FILE] [-json] [-write-contract FILE]",
			"Checks, one line each, what serving a workspace needs: the host answers, the key is accepted and has its scopes,\n"+
				"the client id is the key's workspace, there are posts, the responses have the assumed shape, the rate limit.\n"+
				"Without -upstream-url it checks the built-in simulator (the demo). Exit status 0 when every check passes.\n"+
				"-write-contract FILE writes a contract file matching what it found (see docs/contract.md).",
			`doctor -upstream-url https://<aspire-api-host> -api-key "$ASPIRE_API_KEY" -client-id "$ASPIRE_CLIENT_ID"`, flags)
	}
	cfg, _, err := config.LoadWithUsage(name, args, getenv, stderr, flags, usage)
	if err != nil {
		return err
	}
	_, demo, upstream, closeUpstream, err := connect(cfg, nil)
	if err != nil {
		return err
	}
	defer closeUpstream()
	rep := doctor.Run(ctx, doctor.Input{BaseURL: upstream, Creds: commandCreds(cfg, demo), HTTP: &http.Client{Timeout: cfg.AttemptTimeout}, KeyTrimmed: cfg.KeyTrimmed, ClientIDFromURL: cfg.ClientIDFromURL, Demo: demo != nil, Contract: cfg.Contract, Rate: cfg.RateLimit, Burst: cfg.RateBurst})
	if asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprint(stdout, rep.Text())
	}
	if writeContract != "" && rep.Contract != nil {
		if err := rep.Contract.Validate(); err != nil {
			return fmt.Errorf("the contract the checks call for is not valid, not written: %w", err)
		}
		if err := os.WriteFile(writeContract, rep.Contract.Marshal(), 0o644); err != nil {
			return fmt.Errorf("write-contract: %w", err)
		}
		fmt.Fprintf(stderr, "wrote %s: start with -contract %s (and check it with doctor -contract %s)\n", writeContract, writeContract, writeContract)
	}
	if !rep.OK {
		return errChecksFailed
	}
	return nil
}
