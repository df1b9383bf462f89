// Command bench is the load harness: it starts the Aspire simulator, our
// server (and a baseline of it with batching, de-duplication and caching
// off) and the peer (Tailcall 1.0.0) side by side, drives each workload at
// each concurrency with a closed-loop generator, and writes a Markdown
// report and charts to bench/results. scripts/bench.sh builds and installs
// what it needs and runs it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

const (
	demoKey  = "sim_demo_key_9f8e7d6c5b4a"
	clientID = "5a1e0d3m0w0rk5pac3000000000000a1"
)

type server struct {
	name, kind string // kind: "ours" or "peer" (which query text it takes)
	args       []string
	noDedupe   bool            // the peer with dedupe: false on every @http
	only       map[string]bool // if set, the only workloads it runs
	p          *proc
	url        string
}

func main() {
	// The generator's garbage is short-lived answers: collect rarely, so that
	// its CPU, which the servers' share, stays small.
	debug.SetGCPercent(800)
	ours := flag.String("server", "", "our server's binary (built by scripts/bench.sh)")
	simBin := flag.String("sim", "", "the simulator's binary")
	peer := flag.String("peer", "", "the Tailcall binary; empty skips the peer")
	peerConfig := flag.String("peer-config", "bench/peer/tailcall.graphql", "the peer's config template")
	out := flag.String("out", "bench/results", "report directory")
	warmup := flag.Duration("warmup", 2*time.Second, "warm-up per cell")
	duration := flag.Duration("duration", 8*time.Second, "measurement per cell")
	connsFlag := flag.String("conns", "32,128", "concurrencies")
	latFlag := flag.String("latency", "0,20ms", "simulator latencies (each ± a quarter as jitter)")
	only := flag.String("workloads", "W1,W1-edges,W2,W3,W3-edges,W4,W5,R1,growth", "workloads to run (abuse: W1 under attackers, see bench/abuse.go)")
	attackers := flag.Int("abuse-attackers", 16, "workload abuse: connections sending the 14,000-`__typename` document with made-up keys")
	tenantConns := flag.Int("abuse-tenant", 4, "workload abuse: the real tenant's W1 connections")
	render := flag.String("render", "", "only re-render the report from a results JSON (bench/results/latest.json)")
	flag.Parse()
	if *render != "" {
		b, err := os.ReadFile(*render)
		if err != nil {
			fatal(err)
		}
		var rep report
		if err := json.Unmarshal(b, &rep); err != nil {
			fatal(err)
		}
		if err := rep.write(*out); err != nil {
			fatal(err)
		}
		return
	}
	if *ours == "" || *simBin == "" {
		fmt.Fprintln(os.Stderr, "bench: -server and -sim are required (use scripts/bench.sh)")
		os.Exit(2)
	}
	var conns []int
	for s := range strings.SplitSeq(*connsFlag, ",") {
		n, _ := strconv.Atoi(s)
		conns = append(conns, n)
	}
	want := map[string]bool{}
	for s := range strings.SplitSeq(*only, ",") {
		want[s] = true
	}
	rep := &report{Started: time.Now(), Warmup: *warmup, Duration: *duration}
	for lat := range strings.SplitSeq(*latFlag, ",") {
		l, err := time.ParseDuration(lat)
		if err != nil && lat != "0" {
			fatal(err)
		}
		ab := abuseConfig{attackers: *attackers, tenant: *tenantConns}
		if err := runLatency(rep, l, *ours, *simBin, *peer, *peerConfig, conns, want, *warmup, *duration, ab); err != nil {
			fatal(err)
		}
	}
	if err := rep.write(*out); err != nil {
		fatal(err)
	}
	fmt.Println("bench: report written to", filepath.Join(*out, "latest.md"))
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

type abuseConfig struct{ attackers, tenant int }

func runLatency(rep *report, lat time.Duration, oursBin, simBin, peerBin, peerConfig string, conns []int, want map[string]bool, warmup, duration time.Duration, ab abuseConfig) error {
	latName := "0 ms"
	if lat > 0 {
		latName = fmt.Sprintf("%v ± %v", lat, lat/4)
	}
	simPort := freePort()
	sim, err := start("sim", nil, simBin, "-addr", fmt.Sprintf("127.0.0.1:%d", simPort), "-rate-limit", "0",
		"-latency", lat.String(), "-jitter", (lat / 4).String())
	if err != nil {
		return err
	}
	defer sim.stop()
	simURL := fmt.Sprintf("http://127.0.0.1:%d", simPort)
	if err := waitHTTP(simURL+"/_sim/stats", 30*time.Second); err != nil {
		return err
	}
	common := []string{"-upstream-url", simURL, "-rate-limit", "0", "-log-level", "warn", "-log-format", "json"}
	servers := []*server{
		{name: "aspire-graphql", kind: "ours", args: common},
		{name: "aspire-graphql, no batching/dedup/cache", kind: "ours", args: append(append([]string{}, common...), "-batching=false", "-dedup=false", "-cache-bytes", "0", "-response-cache-bytes", "0", "-merge-inflight=false", "-upstream-budget", "0")},
		// Raw: no whole-response cache, identical requests in flight merged
		// (as the peer's dedupe does).
		{name: rawName, kind: "ours", args: append(append([]string{}, common...), "-response-cache-bytes", "0")},
		// Execution alone: every request runs, for the CPU-per-query targets
		// of #14 (only where requests repeat; W5's never do).
		{name: execName, kind: "ours", args: append(append([]string{}, common...), "-response-cache-bytes", "0", "-merge-inflight=false"),
			only: map[string]bool{"W1": true, "W3": true, "W1-edges": true, "W3-edges": true, "R1": true}},
	}
	if want["abuse"] {
		// The attackers come from the tenant's address (127.0.0.1): as
		// served, the unverified-rate limit refuses most of them (429) before
		// their document is read as GraphQL. Without it every attacker's
		// document reaches the parser and the linear limits.
		servers = append(servers, &server{name: abuseOffName, kind: "ours", args: append(append([]string{}, common...), "-unverified-rate", "0"),
			only: map[string]bool{"abuse": true}})
	}
	if peerBin != "" {
		// The peer twice: with its dedupe (whole-operation merging, most of
		// its speed on identical queries) and without, raw against raw.
		servers = append(servers, &server{name: peerName, kind: "peer"}, &server{name: peerNoDedupe, kind: "peer", noDedupe: true})
	}
	for _, s := range servers {
		port := freePort()
		s.url = fmt.Sprintf("http://127.0.0.1:%d/graphql", port)
		if s.kind == "peer" {
			tmpl, err := os.ReadFile(peerConfig)
			if err != nil {
				return err
			}
			cfg := strings.NewReplacer("__PORT__", strconv.Itoa(port), "__SIM__", simURL, "__CLIENT__", clientID).Replace(string(tmpl))
			if s.noDedupe {
				cfg = strings.ReplaceAll(cfg, "dedupe: true", "dedupe: false")
			}
			path := filepath.Join(os.TempDir(), fmt.Sprintf("bench-tailcall-%d.graphql", port))
			if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
				return err
			}
			s.p, err = start(s.name, []string{"TAILCALL_TRACKER=false", "TAILCALL_LOG_LEVEL=error"}, peerBin, "start", path)
			if err != nil {
				return err
			}
		} else {
			s.p, err = start(s.name, nil, oursBin, append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", port)}, s.args...)...)
			if err != nil {
				return err
			}
		}
		defer s.p.stop()
		if err := waitReady(s); err != nil {
			return err
		}
	}

	// Cold and warm W1: exact upstream requests of a first and a second query.
	w := w1First(100)
	for _, s := range servers {
		simReset(simURL)
		if _, err := one(s.url, "Bearer "+demoKey, w, s.kind, 0); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		cold := simTotal(simURL)
		simReset(simURL)
		for i := range 20 {
			_, _ = one(s.url, "Bearer "+demoKey, w, s.kind, i)
		}
		rep.Cold = append(rep.Cold, coldWarm{Server: s.name, Latency: latName, Cold: cold, Warm: float64(simTotal(simURL)) / 20})
	}

	var list []workload
	if want["W1"] {
		list = append(list, w1First(100))
	}
	if want["W1-edges"] {
		list = append(list, edgesOf(w1First(100)))
	}
	if want["W2"] {
		list = append(list, w2())
	}
	if want["W3"] {
		list = append(list, w3(3))
	}
	if want["W3-edges"] {
		list = append(list, edgesOf(w3(3)))
	}
	if want["W4"] {
		list = append(list, w4())
	}
	if want["W5"] {
		list = append(list, w5())
	}
	if want["R1"] {
		list = append(list, r1())
	}
	measure := func(w workload, c int, order []*server, growth bool) {
		for _, s := range order {
			if w.query[s.kind] == "" || (s.only != nil && !s.only[w.name]) {
				continue
			}
			pid := s.p.cmd.Process.Pid
			simReset(simURL)
			cpu0, sim0, self0 := cpuSeconds(pid), cpuSeconds(sim.cmd.Process.Pid), cpuSeconds(os.Getpid())
			lat, errs, elapsed := load(context.Background(), s.url, "Bearer "+demoKey, w, s.kind, c, warmup, duration)
			cpu1, sim1, self1 := cpuSeconds(pid), cpuSeconds(sim.cmd.Process.Pid), cpuSeconds(os.Getpid())
			r := result{Server: s.name, Workload: w.name, Conns: c, Latency: latName, Errors: errs, PeakRSSMiB: peakRSSMiB(pid)}
			summarize(&r, lat, elapsed)
			if r.Queries > 0 {
				// The warm-up's requests are in the counter too: spread them
				// over all the queries sent.
				r.UpstreamPerQuery = float64(simTotal(simURL)) / (float64(r.Queries) * (warmup + duration).Seconds() / duration.Seconds())
				sent := float64(r.Queries) * (warmup + duration).Seconds() / duration.Seconds()
				r.CPUPer1000 = (cpu1 - cpu0) / sent * 1000
				r.SimCPUPer1000 = (sim1 - sim0) / sent * 1000
				r.ClientCPUPer1000 = (self1 - self0) / sent * 1000
			}
			fmt.Printf("%-8s %-40s %-12s c=%-3d %8.0f req/s  p50 %-8v p99 %-8v up/q %.3f  cpu/1k %.2fs  sim/client cpu/1k %.2f/%.2fs  rss %.0f MiB  errors %d\n",
				latName, s.name, w.name, c, r.RPS, r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.UpstreamPerQuery, r.CPUPer1000, r.SimCPUPer1000, r.ClientCPUPer1000, r.PeakRSSMiB, r.Errors)
			if growth {
				rep.Growth = append(rep.Growth, r)
			} else {
				rep.Results = append(rep.Results, r)
			}
		}
	}
	if want["abuse"] {
		for _, s := range servers {
			if s.name == oursName || s.name == abuseOffName { // passthrough: any Bearer key
				rep.Abuse = append(rep.Abuse, measureAbuse(s, latName, ab.attackers, ab.tenant, warmup, duration))
			}
		}
	}
	turn := 0
	for _, w := range list {
		for _, c := range conns {
			// Alternate the order so that drift hits every server alike.
			order := rotate(servers, turn)
			turn++
			measure(w, c, order, false)
		}
	}
	if want["growth"] && lat == 0 {
		for _, f := range []int{10, 50, 100, 250, 500} {
			measure(w1First(f), conns[0], rotate(servers, turn), true)
			turn++
		}
		for lv := 1; lv <= 3; lv++ {
			w := w3(lv)
			w.name = fmt.Sprintf("W3 levels=%d", lv)
			measure(w, conns[0], rotate(servers, turn), true)
			turn++
		}
	}
	return nil
}

func rotate(s []*server, n int) []*server {
	out := make([]*server, len(s))
	for i := range s {
		out[i] = s[(i+n)%len(s)]
	}
	return out
}

// waitReady waits until a server answers a trivial query.
func waitReady(s *server) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := one(s.url, "Bearer "+demoKey, w1First(1), s.kind, 0); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer within 30s (see %s/bench-*.log)", s.name, os.TempDir())
}
