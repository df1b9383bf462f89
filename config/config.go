// Package config reads the server's settings from flags and environment
// variables: one table of settings, each a flag (-name) with an environment
// variable (ASPIRE_GRAPHQL_NAME); a flag given on the command line wins over
// its variable, which wins over the default. `-h` prints the table.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
)

// Mode is how the server reaches Aspire and whose key it uses.
type Mode string

// Modes (see README, "Modes").
const (
	// Demo serves the built-in simulator with a demo key: no configuration.
	Demo Mode = "demo"
	// Passthrough forwards each caller's own Aspire key; the server holds none.
	Passthrough Mode = "passthrough"
	// ServerKey uses the server's key; callers present facade access tokens.
	ServerKey Mode = "server-key"
)

// Config is every setting.
type Config struct {
	Addr         string
	UpstreamURL  string
	APIKey       string
	ClientID     string
	AccessTokens []string
	CORSOrigins  []string
	// AllowedHosts are the extra names (host or host:port) loopback
	// server-key mode without access tokens is served under.
	AllowedHosts    []string
	LogLevel        string
	LogFormat       string
	Introspection   bool
	ShutdownTimeout time.Duration

	CacheBytes   int64
	CacheTTL     time.Duration
	CachePastTTL time.Duration

	ResponseCacheBytes int64
	ResponseCacheTTL   time.Duration
	MergeInFlight      bool
	Retries            int
	AttemptTimeout     time.Duration
	RateLimit          float64
	RateBurst          int
	Dedup              bool
	Batching           bool

	RequestTimeout time.Duration
	MaxBodyBytes   int64
	MaxTokens      int
	MaxFields      int
	MaxDepth       int
	MaxAliases     int
	MaxRootFields  int
	MaxDirectives  int
	MaxComplexity  int
	UpstreamBudget int
	// ReportMaxPoints bounds the points of a performance series.
	ReportMaxPoints int
	MaxExecuting    int

	UpstreamCeiling float64
	UnverifiedRate  float64
	// TrustedProxies are the -trusted-proxies as given; Proxies parsed.
	TrustedProxies  []string
	Proxies         []netip.Prefix
	KeyRecheck      time.Duration
	KeyRefusedTTL   time.Duration
	BreakerFailures int
	BreakerCooldown time.Duration

	DemoLatency time.Duration

	ExportTimeout   time.Duration
	CSVFormulaGuard bool
	SavedQueriesDir string

	RedisURL         string
	RedisTimeout     time.Duration
	ExpectedReplicas int

	// ContractFile is the -contract file; Contract its contents, loaded and
	// validated (nil: the built-in contract).
	ContractFile string
	Contract     *contract.Contract

	TraceUpstream bool

	// KeyTrimmed and ClientIDFromURL say the settings were tidied: the key
	// had surrounding spaces, the client id was a pasted workspace URL.
	KeyTrimmed, ClientIDFromURL bool
}

// Mode says which mode the settings select.
func (c *Config) Mode() Mode {
	switch {
	case c.UpstreamURL == "":
		return Demo
	case c.APIKey == "":
		return Passthrough
	default:
		return ServerKey
	}
}

// Memory limit the server sets itself where GOMEMLIMIT is unset: a base for
// the working set of 128 queries in flight, plus what the caches may hold
// live. The upstream cache's bound weighs response bodies and it holds them
// decoded, up to about three times that; the whole-response cache holds the
// bytes it weighs. (The reasons: gc.go.)
const (
	MemoryLimitBase       = 64 << 20
	MemoryPerUpstreamByte = 3
)

// MemoryLimit is the memory limit the settings give the server (120 MiB
// with the default cache sizes). The abuse tests hold the live heap under
// it after an attack.
func (c *Config) MemoryLimit() int64 {
	return MemoryLimitBase + MemoryPerUpstreamByte*max(c.CacheBytes, 0) + max(c.ResponseCacheBytes, 0)
}

// setting is one row of the table.
type setting struct {
	name  string
	usage string
	def   string
	set   func(c *Config, v string) error
}

// EnvPrefix starts every setting's environment variable.
const EnvPrefix = "ASPIRE_GRAPHQL_"

func env(name string) string { return EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) }

func str(f func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *f(c) = v; return nil }
}

func list(f func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		var out []string
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		*f(c) = out
		return nil
	}
}

func dur(f func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("want a duration such as 30s or 10m, got %q", v)
		}
		*f(c) = d
		return nil
	}
}

func integer[T int | int64](f func(*Config) *T) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("want a whole number >= 0, got %q", v)
		}
		*f(c) = T(n)
		return nil
	}
}

func number(f func(*Config) *float64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("want a number >= 0, got %q", v)
		}
		*f(c) = n
		return nil
	}
}

func boolean(f func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*f(c) = b
		return nil
	}
}

var settings = []setting{
	{"addr", "listen address", "127.0.0.1:8080", str(func(c *Config) *string { return &c.Addr })},
	{"upstream-url", "Aspire API base URL; empty runs the demo (built-in simulator)", "", str(func(c *Config) *string { return &c.UpstreamURL })},
	{"api-key", "server-key mode: the Aspire API key the server uses (else each caller brings theirs)", "", str(func(c *Config) *string { return &c.APIKey })},
	{"client-id", "workspace client id; in passthrough mode the default when a caller sends no X-Aspire-Client-Id", "", str(func(c *Config) *string { return &c.ClientID })},
	{"access-tokens", "server-key mode: comma list of tokens callers must present as Bearer", "", list(func(c *Config) *[]string { return &c.AccessTokens })},
	{"allowed-hosts", "server-key mode on loopback without access-tokens: comma list of extra names (host or host:port) the server is served under; a request whose Host is none of them nor the loopback address and port it came in on (127.0.0.1, [::1], localhost) is refused with 421, and browsers' cross-site requests with 403 (DNS rebinding, docs/security.md)", "", list(func(c *Config) *[]string { return &c.AllowedHosts })},
	{"cors-origins", "comma list of browser origins allowed to call (* for any; demo default *)", "", list(func(c *Config) *[]string { return &c.CORSOrigins })},
	{"log-level", "debug, info, warn or error", "info", str(func(c *Config) *string { return &c.LogLevel })},
	{"log-format", "json, console, or auto (console on a terminal)", "auto", str(func(c *Config) *string { return &c.LogFormat })},
	{"introspection", "allow schema introspection to authenticated callers (the playground's docs and completion); false also hides validation errors' 'Did you mean …' suggestions, which keys the upstream has not accepted never get", "true", boolean(func(c *Config) *bool { return &c.Introspection })},
	{"shutdown-timeout", "how long in-flight requests may finish after SIGTERM", "15s", dur(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
	{"cache-bytes", "response cache size in bytes; 0 turns the cache off", "16777216", integer(func(c *Config) *int64 { return &c.CacheBytes })},
	{"cache-ttl", "how long a cached upstream response is used", "30s", dur(func(c *Config) *time.Duration { return &c.CacheTTL })},
	{"cache-past-ttl", "the same, for date ranges that ended before today", "10m", dur(func(c *Config) *time.Duration { return &c.CachePastTTL })},
	{"response-cache-bytes", "whole-response cache size: identical error-free queries of a workspace are answered again without running; 0 turns it off", "8388608", integer(func(c *Config) *int64 { return &c.ResponseCacheBytes })},
	{"response-cache-ttl", "how long a whole response is reused", "5s", dur(func(c *Config) *time.Duration { return &c.ResponseCacheTTL })},
	{"merge-inflight", "identical requests of a workspace (same body or query string, same Accept) that arrive while one of them runs share its answer instead of running again; independent of the response cache", "true", boolean(func(c *Config) *bool { return &c.MergeInFlight })},
	{"retries", "upstream attempts per call (1: no retry)", "3", integer(func(c *Config) *int { return &c.Retries })},
	{"attempt-timeout", "time limit of one upstream attempt", "10s", dur(func(c *Config) *time.Duration { return &c.AttemptTimeout })},
	{"rate-limit", "upstream requests per second per workspace key (client-side bucket); 0 turns it off", "10", func(c *Config, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return fmt.Errorf("want a number >= 0, got %q", v)
		}
		c.RateLimit = f
		return nil
	}},
	{"upstream-ceiling", "server-wide upstream requests per second across all keys, as a multiple of rate-limit (4: four workspaces at full rate); a quarter of it is all that keys never accepted may use; 0 turns it off", "4", number(func(c *Config) *float64 { return &c.UpstreamCeiling })},
	{"unverified-rate", "passthrough mode: new keys per second one client address may bring (each costs an upstream call to verify; burst 5× this); 0 turns the limit off", "2", number(func(c *Config) *float64 { return &c.UnverifiedRate })},
	{"trusted-proxies", "comma list of the addresses or CIDRs (10.0.0.0/8) of reverse proxies in front of the server: from them, the client address unverified-rate counts is the last X-Forwarded-For entry that is not a proxy; empty: the connection's address", "", list(func(c *Config) *[]string { return &c.TrustedProxies })},
	{"key-recheck", "how often a caller's key is re-checked with the upstream before cached data is served to it; 0: never (until a 401)", "60s", dur(func(c *Config) *time.Duration { return &c.KeyRecheck })},
	{"key-refused-ttl", "how long a key the upstream refused is refused without asking it again; 0: not remembered", "60s", dur(func(c *Config) *time.Duration { return &c.KeyRefusedTTL })},
	{"breaker-failures", "consecutive upstream connection failures after which calls fail at once for breaker-cooldown (and /readyz says so); 0 turns the breaker off", "5", integer(func(c *Config) *int { return &c.BreakerFailures })},
	{"breaker-cooldown", "how long calls fail at once after the breaker opens", "10s", dur(func(c *Config) *time.Duration { return &c.BreakerCooldown })},
	{"rate-burst", "burst of the client-side bucket", "20", integer(func(c *Config) *int { return &c.RateBurst })},
	{"dedup", "share identical in-flight upstream calls of a workspace", "true", boolean(func(c *Config) *bool { return &c.Dedup })},
	{"batching", "batch relation look-ups through dataloaders (off: one call per parent, for baselines)", "true", boolean(func(c *Config) *bool { return &c.Batching })},
	{"request-timeout", "deadline of one GraphQL request, upstream calls included", "30s", dur(func(c *Config) *time.Duration { return &c.RequestTimeout })},
	{"max-body-bytes", "largest request body accepted (413 above)", "1048576", integer(func(c *Config) *int64 { return &c.MaxBodyBytes })},
	{"max-tokens", "most tokens in a GraphQL document (the parser also caps nesting at 1,000)", "15000", integer(func(c *Config) *int { return &c.MaxTokens })},
	{"max-fields", "most fields in an operation once its fragments are expanded (a fan-out of fragments is refused before anything runs); 0 turns the limit off", "2000", integer(func(c *Config) *int { return &c.MaxFields })},
	{"max-depth", "deepest field nesting of an operation; 0 turns the limit off", "12", integer(func(c *Config) *int { return &c.MaxDepth })},
	{"max-aliases", "most aliased fields in an operation; 0 turns the limit off", "30", integer(func(c *Config) *int { return &c.MaxAliases })},
	{"max-root-fields", "most top-level fields in an operation; 0 turns the limit off", "20", integer(func(c *Config) *int { return &c.MaxRootFields })},
	{"max-directives", "most directive uses in an operation; 0 turns the limit off", "50", integer(func(c *Config) *int { return &c.MaxDirectives })},
	{"max-complexity", "largest operation cost (a field costs 1 plus its children; a list costs first × its children); 0 turns it off", "50000", integer(func(c *Config) *int { return &c.MaxComplexity })},
	{"max-executing", "operations executing at once, half of them on the CPU (one waiting on the upstream lends its CPU slot); the others wait their turn in arrival order. Each holds memory while it runs; raise it for an upstream slower than ~20 ms; 0: 32 per CPU", "0", integer(func(c *Config) *int { return &c.MaxExecuting })},
	{"upstream-budget", "most upstream requests one GraphQL request may make; past it, fields are null with OPERATION_LIMIT_EXCEEDED; 0 turns it off", "50", integer(func(c *Config) *int { return &c.UpstreamBudget })},
	{"report-max-points", "most points a performance series may have (DAY over a range of more days is refused with BAD_USER_INPUT)", "366", integer(func(c *Config) *int { return &c.ReportMaxPoints })},
	{"demo-latency", "demo mode: latency the simulator adds to each call", "0s", dur(func(c *Config) *time.Duration { return &c.DemoLatency })},
	{"export-timeout", "deadline of one /export download (exports page through everything; no upstream budget)", "10m", dur(func(c *Config) *time.Duration { return &c.ExportTimeout })},
	{"csv-formula-guard", "CSV exports: a text cell starting with = + - @, a tab or a carriage return gets a leading ' and quotes, so a spreadsheet shows it as text instead of running it as a formula (docs/bi.md); false for pipelines that read the CSV as data", "true", boolean(func(c *Config) *bool { return &c.CSVFormulaGuard })},
	{"saved-queries-dir", "a directory of NAME.graphql files served as GET /graphql?id=NAME&variables=…", "", str(func(c *Config) *string { return &c.SavedQueriesDir })},
	{"redis-url", "redis:// or rediss:// URL (password and db in it) of a Redis 7 or Valkey shared by replicas: upstream and response caches, APQ and the rate budget; empty keeps all in process", "", str(func(c *Config) *string { return &c.RedisURL })},
	{"redis-timeout", "time limit of one Redis command; past it the replica falls back to local state until Redis answers", "100ms", dur(func(c *Config) *time.Duration { return &c.RedisTimeout })},
	{"expected-replicas", "replicas sharing the rate budget: while Redis is unreachable each keeps to rate-limit / expected-replicas", "3", integer(func(c *Config) *int { return &c.ExpectedReplicas })},
	{"contract", "a contract file (JSON) saying where your Aspire API's wire format differs from the built-in one (`aspire-graphql contract` prints it; `doctor --write-contract` writes one)", "", func(c *Config, v string) error {
		if v == "" {
			c.ContractFile, c.Contract = "", nil // the built-in contract
			return nil
		}
		ct, err := contract.Load(v)
		c.ContractFile, c.Contract = v, ct
		return err
	}},
	{"trace-upstream", "when tracing (OTEL_EXPORTER_OTLP_ENDPOINT set), send traceparent to the Aspire API; false for upstreams that reject unknown headers", "true", boolean(func(c *Config) *bool { return &c.TraceUpstream })},
}

// ErrHelp is returned when -h was asked; the usage has been printed.
var ErrHelp = flag.ErrHelp

// Load reads args (without the program name) and the environment.
func Load(name string, args []string, getenv func(string) string, stderr io.Writer) (*Config, []string, error) {
	return LoadWith(name, args, getenv, stderr, nil)
}

// LoadWith is Load with more flags, which extra registers (a subcommand's).
func LoadWith(name string, args []string, getenv func(string) string, stderr io.Writer, extra func(*flag.FlagSet)) (*Config, []string, error) {
	return LoadWithUsage(name, args, getenv, stderr, extra, nil)
}

// LoadWithUsage is LoadWith with a usage of the caller's own for -h; nil
// prints the settings table and extra's flags.
func LoadWithUsage(name string, args []string, getenv func(string) string, stderr io.Writer, extra func(*flag.FlagSet), usage func(io.Writer)) (*Config, []string, error) {
	c := &Config{}
	for _, s := range settings {
		if err := s.set(c, s.def); err != nil {
			panic(s.name + ": bad default: " + err.Error())
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	given := map[string]*string{}
	for _, s := range settings {
		given[s.name] = fs.String(s.name, "\x00", s.usage)
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			if usage != nil {
				usage(stderr)
				return nil, nil, ErrHelp
			}
			Usage(stderr, name)
			if extra != nil {
				fmt.Fprintf(stderr, "\n%s flags:\n", name)
				fs.SetOutput(stderr)
				fs.VisitAll(func(f *flag.Flag) {
					if _, ok := given[f.Name]; !ok {
						fmt.Fprintf(stderr, "  -%s\t%s\n", f.Name, f.Usage)
					}
				})
			}
			return nil, nil, ErrHelp
		}
		return nil, nil, fmt.Errorf("%v (see -h)", err)
	}
	for _, s := range settings {
		v, src := *given[s.name], "-"+s.name
		if v == "\x00" {
			v, src = getenv(env(s.name)), env(s.name)
			if v == "" {
				continue
			}
		}
		if err := s.set(c, v); err != nil {
			return nil, nil, fmt.Errorf("%s: %v", src, err)
		}
	}
	return c, fs.Args(), c.validate()
}

func (c *Config) validate() error {
	// A key pasted with spaces, or a client id pasted as the workspace URL,
	// is what the user meant.
	if k := strings.TrimSpace(c.APIKey); k != c.APIKey {
		c.APIKey, c.KeyTrimmed = k, true
	}
	if id := aspire.ClientIDFrom(c.ClientID); id != strings.TrimSpace(c.ClientID) {
		c.ClientIDFromURL = true
		c.ClientID = id
	} else {
		c.ClientID = id
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("addr %q: want host:port", c.Addr)
	}
	if c.UpstreamURL != "" {
		u, err := url.Parse(c.UpstreamURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("upstream-url %q: want http(s)://host[/path]", c.UpstreamURL)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "json", "console", "auto":
	default:
		return fmt.Errorf("log-format %q: want json, console or auto", c.LogFormat)
	}
	if c.Mode() == ServerKey {
		if c.ClientID == "" {
			return errors.New("server-key mode (api-key set) needs client-id: the workspace the key belongs to")
		}
		if len(c.AccessTokens) == 0 && !Loopback(c.Addr) {
			return fmt.Errorf("server-key mode on %s, which is not a loopback address, needs access-tokens: "+
				"without them anyone who can reach the port reads the workspace with the server's key", c.Addr)
		}
	}
	for _, t := range c.AccessTokens {
		if len(t) < 16 {
			return errors.New("access-tokens: each token needs at least 16 characters")
		}
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		return errors.New("redis-url: want redis://[user:password@]host:port[/db] or rediss://…")
	}
	c.Proxies = c.Proxies[:0]
	for _, p := range c.TrustedProxies {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return fmt.Errorf("trusted-proxies: %q is neither an address (10.0.0.7) nor a CIDR (10.0.0.0/8)", p)
			}
			prefix = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		c.Proxies = append(c.Proxies, prefix.Masked())
	}
	if c.ExpectedReplicas < 1 {
		c.ExpectedReplicas = 1
	}
	if c.Retries < 1 {
		c.Retries = 1
	}
	return nil
}

// HostGuarded reports whether requests must name one of the server's own
// hosts and come from no other site: server-key mode without access tokens
// (allowed on loopback only), where the network address is all that stands
// between a web page and the workspace.
func (c *Config) HostGuarded() bool {
	return c.Mode() == ServerKey && len(c.AccessTokens) == 0
}

// Loopback reports whether addr listens on a loopback interface only.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Usage prints the settings table.
func Usage(w io.Writer, name string) {
	fmt.Fprintf(w, "Usage: %s [flags]\n\nEvery flag has an environment variable; a flag on the command line wins.\n\n", name)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "flag\tenvironment\tdefault\tmeaning")
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(tw, "-%s\t%s\t%s\t%s\n", s.name, env(s.name), def, s.usage)
	}
	_ = tw.Flush()
}

// MarkdownTable renders the settings as the README's configuration table.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| flag | environment variable | default | meaning |\n| --- | --- | --- | --- |\n")
	for _, s := range settings {
		def := "`" + s.def + "`"
		if s.def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(&b, "| `-%s` | `%s` | %s | %s |\n", s.name, env(s.name), def, s.usage)
	}
	return b.String()
}
