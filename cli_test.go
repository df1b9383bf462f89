package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/config"
)

// TestCLIAsAPersonUsesIt: every -h prints its own usage first, short, with
// an example; the program names itself aspire-graphql whatever its path;
// the export's progress never draws a bar into a pipe, prints plain lines
// only when asked, and always ends with rows, seconds and rows/s.
func TestCLIAsAPersonUsesIt(t *testing.T) {
	t.Parallel()
	const buildCache = "/tmp/go-build1234/b001/exe/aspire-graphql-xyz"
	noEnv := func(string) string { return "" }
	for _, tc := range []struct {
		args       []string
		first, not string
	}{
		{[]string{"-h"}, "aspire-graphql: one GraphQL endpoint", ""},
		{[]string{"export", "-h"}, "Usage: aspire-graphql export posts|members -start", "-max-depth"},
		{[]string{"export", "posts", "-h"}, "Usage: aspire-graphql export posts -start", "-max-depth"},
		{[]string{"export", "members", "--help"}, "Usage: aspire-graphql export members -start", "-max-depth"},
		{[]string{"doctor", "-h"}, "Usage: aspire-graphql doctor", "-max-depth"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), append([]string{buildCache}, tc.args...), noEnv, io.Discard, &stderr)
			if !errors.Is(err, config.ErrHelp) {
				t.Fatalf("err %v", err)
			}
			out := stderr.String()
			if !strings.HasPrefix(out, tc.first) || !strings.Contains(out, "Example") || strings.Contains(out, "go-build") {
				t.Fatalf("want usage starting %q with an example:\n%s", tc.first, out)
			}
			if tc.not != "" && strings.Contains(out, tc.not) {
				t.Fatalf("a subcommand's usage lists every server setting (%s):\n%s", tc.not, out)
			}
		})
	}

	var stderr bytes.Buffer
	err := run(context.Background(), []string{buildCache, "export"}, noEnv, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "aspire-graphql export -h") || strings.Contains(err.Error(), "go-build") {
		t.Fatalf("export without a table: %v", err)
	}

	summary := regexp.MustCompile(`(?m)^aspire-graphql: 46 posts written to \S+ in \d+\.\d\d s \(\d+ rows/s\)\n\z`)
	for _, progress := range []string{"auto", "plain"} {
		stderr.Reset()
		out := filepath.Join(t.TempDir(), "oct.csv")
		err := run(context.Background(), []string{buildCache, "export", "posts", "-start", "2026-10-01", "-end", "2026-10-02", "-out", out, "-progress", progress},
			noEnv, io.Discard, &stderr)
		if err != nil {
			t.Fatal(err)
		}
		got := stderr.String()
		if !summary.MatchString(got) || strings.Contains(got, "\r") {
			t.Fatalf("-progress %s, stderr not a terminal: %q", progress, got)
		}
		lines := strings.Count(got, "\n")
		if want := map[string]int{"auto": 1, "plain": 2}[progress]; lines != want || (progress == "plain" && !strings.Contains(got, "posts: 46 of 46 rows, page 1")) {
			t.Fatalf("-progress %s: %d lines, want %d: %q", progress, lines, want, got)
		}
	}
}

// TestServeRefusesWhatItWouldIgnore: a stray argument and a key without an
// upstream are refused, not served as the demo.
func TestServeRefusesWhatItWouldIgnore(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"serve"}, nil, `unknown command "serve"`},
		{[]string{"-log-level", "warn", "serve"}, nil, `unknown command "serve"`},
		{[]string{"-api-key", "k-123"}, nil, "api-key is set but upstream-url is not"},
		{nil, map[string]string{"ASPIRE_GRAPHQL_API_KEY": "k-123"}, "api-key is set but upstream-url is not"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the refusal comes before serving; a server that starts stops at once
		err := run(ctx, append([]string{"aspire-graphql", "-addr", "127.0.0.1:0"}, c.args...),
			func(k string) string { return c.env[k] }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v: %v, want an error saying %q", c.args, c.env, err, c.want)
		}
	}
}
