// Command aspire-sim serves the Aspire REST API simulator (package
// aspiretest) on its own, for demos, benchmarks and other GraphQL servers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr)
	stop()
	os.Exit(code)
}

// exitCode is the process's status for run's error: 0 for none and for -h
// (the usage asked for, and printed), else 1 with the error on stderr.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "aspire-sim:", err)
	return 1
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aspire-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9090", "listen address")
	seed := fs.Uint64("seed", 1, "seed of the generated workspaces")
	sz := aspiretest.DefaultSizes
	fs.IntVar(&sz.Projects, "projects", sz.Projects, "projects in the demo workspace")
	fs.IntVar(&sz.Groups, "groups", sz.Groups, "groups in the demo workspace")
	fs.IntVar(&sz.Members, "members", sz.Members, "members in the demo workspace")
	fs.IntVar(&sz.Posts, "posts", sz.Posts, "posts in the demo workspace")
	latency := fs.Duration("latency", 0, "added latency per request")
	jitter := fs.Duration("jitter", 0, "latency jitter (uniform ±)")
	rateLimit := fs.Int("rate-limit", 600, "requests per key per minute (0: unlimited)")
	profile := fs.String("wire", "builtin", "wire variant: "+strings.Join(aspiretest.ProfileNames(), ", "))
	contractFile := fs.String("contract", "", "a contract file to speak (overrides -wire's contract)")
	foreignEmpty := fs.Bool("foreign-client-empty", false, "answer a foreign client id with 200 and an empty list, not 403")
	if err := fs.Parse(args); err != nil {
		return err
	}
	mk, ok := aspiretest.Profiles[*profile]
	if !ok {
		return fmt.Errorf("-wire %q: want one of %s", *profile, strings.Join(aspiretest.ProfileNames(), ", "))
	}
	w := mk()
	if *contractFile != "" {
		c, err := contract.Load(*contractFile)
		if err != nil {
			return err
		}
		w.Contract = c
	}
	w.ForeignClientEmpty = w.ForeignClientEmpty || *foreignEmpty
	sim := aspiretest.New(aspiretest.WithSeed(*seed), aspiretest.WithSizes(sz), aspiretest.WithWire(w),
		aspiretest.WithLatency(*latency, *jitter), aspiretest.WithRateLimit(*rateLimit, time.Minute),
		aspiretest.WithLogSize(1000))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "aspire-sim: serving the simulated Aspire API on http://%s (%s)\n%s", ln.Addr(), w, sim)
	fmt.Fprintf(stdout, "try: %s\n", tryCurl(w.Contract, ln.Addr().String()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// tryCurl is a curl command line that lists two posts from the simulator
// speaking c: the key and the client id where c puts them.
func tryCurl(c *contract.Contract, addr string) string {
	if c == nil {
		c = contract.Default()
	}
	q := url.Values{"start_date": {"2026-01-01"}, "end_date": {"2026-01-31"}, "limit": {"2"}}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+aspire.RequestURL(c, "/v1/posts", "/v1/posts", q, aspiretest.DemoClientID), nil)
	aspire.Authorize(c, req, aspiretest.DemoKey, aspiretest.DemoClientID)
	var b strings.Builder
	b.WriteString("curl")
	for _, k := range slices.Sorted(maps.Keys(req.Header)) {
		fmt.Fprintf(&b, " -H '%s: %s'", k, req.Header.Get(k))
	}
	fmt.Fprintf(&b, " '%s'", req.URL)
	return b.String()
}
