// Command aspire-graphql serves a GraphQL API over the Aspire REST API.
//
// With no configuration it runs the demo: a built-in simulator of Aspire with
// a seeded workspace. See README.md for the modes and settings.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/config"
	"github.com/aspire-graphql/aspire-graphql/server"
	"github.com/aspire-graphql/aspire-graphql/telemetry"
	"github.com/aspire-graphql/aspire-graphql/tracing"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, config.ErrHelp) {
		if !errors.Is(err, errChecksFailed) { // the doctor printed its own report
			fmt.Fprintln(os.Stderr, "aspire-graphql:", err)
		}
		os.Exit(1)
	}
}

// run is the whole program: it reads the settings, builds every dependency,
// serves until ctx is done, then shuts down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	name, args := programName, args[1:] // not args[0]: go run's is a build-cache path
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheck(ctx, name, args[1:], getenv, stderr)
	}
	if len(args) > 0 && args[0] == "doctor" {
		return doctorCommand(ctx, name+" doctor", args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "contract" {
		return contractCommand(name+" contract", args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "export" {
		return exportCommand(ctx, name+" export", args[1:], getenv, stdout, stderr)
	}
	cfg, rest, err := config.LoadWithUsage(name, args, getenv, stderr, nil, mainUsage)
	if err != nil {
		return err
	}
	if len(rest) > 0 { // "aspire-graphql serve", a flag after a stray word: never ignored
		return fmt.Errorf("unknown command %q: the commands are doctor, export, contract and healthcheck; with none, the server starts (see -h)", rest[0])
	}
	if cfg.Mode() == config.Demo && cfg.APIKey != "" {
		// A key with nowhere to go: serving the demo would look like success.
		return errors.New("api-key is set but upstream-url is not: set -upstream-url (ASPIRE_GRAPHQL_UPSTREAM_URL) to your Aspire API's base URL, or unset the key to run the demo")
	}
	tuneGC(getenv, cfg.MemoryLimit()) // serving only: the export command keeps its small heap
	log := newLogger(cfg, stdout)
	metrics := telemetry.New()

	sh, err := openShared(ctx, cfg, log, metrics)
	if err != nil {
		return err
	}
	defer sh.close()
	tr, err := tracing.FromEnv(ctx, getenv, "aspire-graphql")
	if err != nil {
		return err
	}
	defer func() { // flush the spans not yet sent, after the last request
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tr.Shutdown(sctx); err != nil {
			log.Warn().Err(err).Msg("tracing: could not flush the last spans")
		}
	}()
	var tracer trace.TracerProvider
	clientOpts := sh.clientOptions()
	if tr.Enabled() {
		tracer = tr.Provider
		clientOpts = append(clientOpts, aspire.WithTracing(cfg.TraceUpstream))
	}
	client, demo, _, closeUpstream, err := connect(cfg, metrics.Observer(), clientOpts...)
	if err != nil {
		return err
	}
	defer closeUpstream()
	var ready func(context.Context) error
	if demo == nil {
		ready = server.UpstreamProbe(cfg.UpstreamURL)
	}
	saved, err := server.LoadSavedQueries(cfg.SavedQueriesDir)
	if err != nil {
		return err
	}
	handler, release := server.New(sh.serverOptions(server.Options{Logger: log, Config: cfg, Client: client, Metrics: metrics, Demo: demo, Ready: ready, SavedQueries: saved, Tracer: tracer}))
	defer release()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	switch cfg.Mode() {
	case config.Demo:
		fmt.Fprintf(stdout, "aspire-graphql: playground at %s/ (DEMO MODE: serving simulated data, no Aspire account needed)\n", base)
	default:
		fmt.Fprintf(stdout, "aspire-graphql: playground at %s/ (%s mode, upstream %s)\n", base, cfg.Mode(), cfg.UpstreamURL)
	}
	fmt.Fprintf(stdout, "aspire-graphql: GraphQL endpoint %s/graphql · health %s/healthz · metrics %s/metrics\n", base, base, base)
	if tr.Enabled() {
		fmt.Fprintf(stdout, "aspire-graphql: tracing to %s (OTLP %s)\n", tr.Endpoint, tr.Protocol)
	}

	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info().Str("timeout", cfg.ShutdownTimeout.String()).Msg("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info().Msg("stopped")
	return nil
}

// newLogger logs JSON, or a console format when stdout is a terminal (or
// when asked).
func newLogger(cfg *config.Config, stdout io.Writer) zerolog.Logger {
	level, _ := zerolog.ParseLevel(cfg.LogLevel)
	var w io.Writer = stdout
	if cfg.LogFormat == "console" || (cfg.LogFormat == "auto" && isTerminal(stdout)) {
		w = zerolog.ConsoleWriter{Out: stdout, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(server.LogWriter(w)).Level(level).With().Timestamp().Logger()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// healthcheck GETs /healthz of the configured address: the container's
// HEALTHCHECK, which needs no shell or curl in the image.
func healthcheck(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, _, err := config.Load(name, args, getenv, stderr)
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(cfg.Addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: %s", resp.Status)
	}
	return nil
}

// connect builds the Aspire client the settings describe; in demo mode it
// first starts the simulator in process, on a loopback port, and returns the
// demo credentials. close releases both.
func connect(cfg *config.Config, observer aspire.Observer, extra ...aspire.Option) (client *aspire.Client, demo *aspire.Creds, upstream string, close func(), err error) {
	upstream, stopSim := cfg.UpstreamURL, func() {}
	if cfg.Mode() == config.Demo {
		// The demo serves the four endpoints (every field filled) and the
		// client is given that contract; with -contract, the demo speaks
		// the file's. The built-in contract, for a real upstream, has
		// only the two Aspire documents (docs/decisions.md).
		c := cfg.Contract
		if c == nil {
			c = contract.WithEndpoints()
			extra = append([]aspire.Option{aspire.WithContract(c)}, extra...)
		}
		sim := aspiretest.New(aspiretest.WithLatency(cfg.DemoLatency, 0), aspiretest.WithRateLimit(6000, time.Minute), aspiretest.WithLogSize(1000),
			aspiretest.WithWire(aspiretest.Wire{Contract: c}))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, "", nil, fmt.Errorf("demo simulator: %w", err)
		}
		simSrv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = simSrv.Serve(ln) }()
		upstream, stopSim = "http://"+ln.Addr().String(), func() { _ = simSrv.Close() }
		demo = &aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspiretest.DemoClientID}
	}
	client, err = server.NewClient(cfg, upstream, observer, extra...)
	if err != nil {
		stopSim()
		return nil, nil, "", nil, err
	}
	return client, demo, upstream, func() { client.Close(); stopSim() }, nil
}

// commandCreds are the credentials a command (export, doctor) calls with:
// the demo's, or the configured key and client id.
func commandCreds(cfg *config.Config, demo *aspire.Creds) aspire.Creds {
	if demo != nil {
		return *demo
	}
	return aspire.Creds{APIKey: cfg.APIKey, ClientID: cfg.ClientID}
}
