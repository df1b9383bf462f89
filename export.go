package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/aspire-graphql/aspire-graphql/config"
	"github.com/aspire-graphql/aspire-graphql/export"
)

// exportCommand writes a whole table to a file (or stdout):
//
//	aspire-graphql export posts --start 2026-01-01 --end 2026-03-31 --format csv --out q1.csv
//
// with the server's settings and modes (demo by default) and a progress bar
// on stderr. A failed export leaves no file behind and exits non-zero.
func exportCommand(ctx context.Context, name string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	params := url.Values{}
	format, out, bom, progress := "csv", "-", false, "auto"
	flags := func(fs *flag.FlagSet) {
		for _, p := range []struct{ flag, param, usage string }{
			{"start", "start", "first day, YYYY-MM-DD (or 13-digit epoch milliseconds, or RFC 3339)"},
			{"end", "end", "last day, YYYY-MM-DD (or 13-digit epoch milliseconds, or RFC 3339; an instant at midnight UTC ends the day before)"},
			{"network", "network", "networks, comma list"},
			{"project-id", "project_id", "project ids, comma list"},
			{"group-id", "group_id", "group ids, comma list"},
			{"member-id", "member_id", "member ids, comma list"},
			{"post-type", "post_type", "post types, comma list"},
			{"mention-source", "mention_source", "mention sources, comma list"},
			{"status", "status", "post statuses, comma list"},
			{"metrics-window", "metrics_window", "lifetime or date_range"},
			{"sort", "sort", "a metric to sort by, optionally :asc"},
		} {
			fs.Func(p.flag, p.usage, func(v string) error { params.Set(p.param, v); return nil })
		}
		fs.StringVar(&format, "format", format, "csv or ndjson")
		fs.StringVar(&out, "out", out, "output file (- for stdout)")
		fs.BoolVar(&bom, "bom", bom, "start a CSV with a UTF-8 byte-order mark (Excel)")
		fs.StringVar(&progress, "progress", progress, "auto (a bar when stderr is a terminal), plain (a line per page) or none")
	}
	entity := "posts|members"
	if len(args) > 0 && (args[0] == "posts" || args[0] == "members") {
		entity = args[0]
	}
	usage := func(w io.Writer) {
		what := "Writes every post of the range (with its member, projects, groups and metrics) as CSV or NDJSON, to a file or stdout."
		switch entity {
		case "members":
			what = "Writes every member with their roll-up over the range's posts (in all, and per network) as CSV or NDJSON, to a file or stdout."
		case "posts|members":
			what = "Writes every post of the range, or every member with their roll-up, as CSV or NDJSON, to a file or stdout."
		}
		example := "export " + strings.Replace(entity, "posts|members", "posts", 1) + " -start 2026-10-01 -end 2026-10-31 -out october.csv"
		commandUsage(w, "export "+entity+" -start YYYY-MM-DD -end YYYY-MM-DD [flags]", what, example, flags)
	}
	if entity == "posts|members" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "--h") {
			usage(stderr)
			return config.ErrHelp
		}
		what := "nothing"
		if len(args) > 0 {
			what = strconv.Quote(args[0])
		}
		return fmt.Errorf("export what? want posts or members, got %s (%s export -h)", what, programName)
	}
	cfg, _, err := config.LoadWithUsage(name, args[1:], getenv, stderr, flags, usage)
	if err != nil {
		return err
	}
	switch progress {
	case "auto", "plain", "none":
	default:
		return fmt.Errorf("--progress %q: want auto, plain or none", progress)
	}
	if format != string(export.CSV) && format != string(export.NDJSON) {
		return fmt.Errorf("--format %q: want csv or ndjson", format)
	}
	job, err := export.NewJob(entity, params) // before connecting: bad parameters fail at once
	if err != nil {
		return err
	}
	if cfg.Mode() == config.Passthrough {
		return errors.New("export talks to Aspire itself: give -api-key and -client-id (or run without -upstream-url for the demo)")
	}
	client, demo, _, closeUpstream, err := connect(cfg, nil)
	if err != nil {
		return err
	}
	defer closeUpstream()
	tenant := client.As(commandCreds(cfg, demo))

	var w io.Writer = stdout
	var tmp *os.File
	if out != "-" {
		tmp, err = os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name()) // a no-op once renamed
		w = tmp
	}
	started := time.Now()
	var bar *progressbar.ProgressBar
	var lastLine time.Time
	opts := export.Options{Format: export.Format(format), BOM: bom, FormulaGuard: cfg.CSVFormulaGuard,
		Started: func(total int) {
			// Only on a terminal: a bar's \r frames would litter a pipe or a log.
			if progress == "auto" && isTerminal(stderr) {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription(entity),
					progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
					progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			}
		},
		Progress: func(rows, pages, total int) {
			switch {
			case bar != nil:
				bar.Describe(fmt.Sprintf("%s, page %d", entity, pages))
				_ = bar.Set(rows)
			case progress == "plain" && (time.Since(lastLine) >= time.Second || rows == total):
				lastLine = time.Now()
				fmt.Fprintf(stderr, "%s: %s: %d of %d rows, page %d, %.2f s\n", programName, entity, rows, total, pages, time.Since(started).Seconds())
			}
		},
	}
	rows, err := job.Run(ctx, tenant, w, opts)
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return fmt.Errorf("export failed after %d rows: %w", rows, err)
	}
	if tmp != nil {
		if err := tmp.Close(); err != nil {
			return err
		}
		_ = os.Chmod(tmp.Name(), 0o644) // CreateTemp makes it private
		if err := os.Rename(tmp.Name(), out); err != nil {
			return err
		}
	}
	// The last line, whatever the progress mode: a bar is gone by now, and a
	// fast export never drew one worth seeing.
	secs := time.Since(started).Seconds()
	fmt.Fprintf(stderr, "%s: %d %s written to %s in %.2f s (%.0f rows/s)\n", programName, rows, entity, out, secs, float64(rows)/max(secs, 0.001))
	return nil
}
