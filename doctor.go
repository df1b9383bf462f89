package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"

	"github.com/aspire-graphql/aspire-graphql/aspire/doctor"
	"github.com/aspire-graphql/aspire-graphql/config"
)

// errChecksFailed makes the doctor exit 1 after printing its report.
var errChecksFailed = errors.New("some checks failed")

// doctorCommand runs the Aspire guide's first-contact checks against the
// configured upstream (the simulator in demo mode) and prints one line per
// check, or JSON with --json. Exit status 0 when every check passes.
func doctorCommand(ctx context.Context, name string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	asJSON := false
	flags := func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	}
	usage := func(w io.Writer) {
		commandUsage(w, "doctor [-upstream-url URL -api-key KEY -client-id ID] [-json]",
			"Checks, one line each, what serving a workspace needs: the host answers, the key is accepted and has its scopes,\n"+
				"the client id is the key's workspace, there are posts, the responses have the assumed shape, the rate limit.\n"+
				"Without -upstream-url it checks the built-in simulator (the demo). Exit status 0 when every check passes.",
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
	rep := doctor.Run(ctx, doctor.Input{BaseURL: upstream, Creds: commandCreds(cfg, demo), HTTP: &http.Client{Timeout: cfg.AttemptTimeout}, KeyTrimmed: cfg.KeyTrimmed, ClientIDFromURL: cfg.ClientIDFromURL, Demo: demo != nil})
	if asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprint(stdout, rep.Text())
	}
	if !rep.OK {
		return errChecksFailed
	}
	return nil
}
