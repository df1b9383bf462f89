package main

import (
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

type coldWarm struct {
	Server, Latency string
	Cold            int
	Warm            float64
}

type report struct {
	Started          time.Time
	Warmup, Duration time.Duration
	Results, Growth  []result
	Cold             []coldWarm
	Abuse            []abuseResult `json:",omitempty"`
}

const (
	oursName     = "aspire-graphql"
	peerName     = "Tailcall 1.0.0"
	peerNoDedupe = "Tailcall 1.0.0, no dedupe"
	rawName      = "aspire-graphql, no response cache, merging"
	execName     = "aspire-graphql, no response cache, no merging"
	abuseOffName = "aspire-graphql, unverified-rate off"
)

func (r *report) find(list []result, server, workload string, conns int, latency string) *result {
	for i := range list {
		x := &list[i]
		if x.Server == server && x.Workload == workload && x.Conns == conns && x.Latency == latency {
			return x
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

func (r *report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmark report\n\nRun %s on %s/%s with %d CPUs; %v warm-up and %v measured per cell; closed-loop clients, one keep-alive connection each; servers alternated cell by cell. The simulator serves the default demo workspace (20,000 posts); `upstream/q` counts its requests per query; CPU is each process's user + system time per query, the simulator's and the load generator's too, since all share the same cores.\n\n",
		r.Started.UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), r.Warmup, r.Duration)
	b.WriteString("![requests per second](rps.png)\n\n![growth](growth.png)\n\n")

	b.WriteString("## Targets\n\n| target | measured | met |\n| --- | --- | --- |\n")
	for _, lat := range latencies(r.Results) {
		for _, c := range conns(r.Results) {
			o, p := r.find(r.Results, oursName, "W1", c, lat), r.find(r.Results, peerName, "W1", c, lat)
			if o != nil && p != nil && p.RPS > 0 {
				ratio := o.RPS / p.RPS
				fmt.Fprintf(&b, "| W1 ≥ 1.2 × peer req/s (%s, %d conns) | %.2f × (%.0f vs %.0f) | %s |\n", lat, c, ratio, o.RPS, p.RPS, yes(ratio >= 1.2))
				fmt.Fprintf(&b, "| W1 p99 ≤ peer's (%s, %d conns) | %s ms vs %s ms | %s |\n", lat, c, ms(o.P99), ms(p.P99), yes(o.P99 <= p.P99))
				fmt.Fprintf(&b, "| W1 upstream/q ≤ peer's (%s, %d conns) | %.3f vs %.3f | %s |\n", lat, c, o.UpstreamPerQuery, p.UpstreamPerQuery, yes(o.UpstreamPerQuery <= p.UpstreamPerQuery))
			}
			o, p = r.find(r.Results, oursName, "W2", c, lat), r.find(r.Results, peerName, "W2", c, lat)
			if o != nil && p != nil && p.RPS > 0 {
				ratio := o.RPS / p.RPS
				fmt.Fprintf(&b, "| W2 ≥ 2 × peer req/s (%s, %d conns) | %.2f × (%.0f vs %.0f) | %s |\n", lat, c, ratio, o.RPS, p.RPS, yes(ratio >= 2))
			}
			// Issue #14: raw execution (no whole-response cache, identical
			// requests in flight merged) against the peer with its dedupe, which
			// merges them too; execution alone (no merging) for CPU per query.
			if o, p := r.find(r.Results, rawName, "W1", c, lat), r.find(r.Results, peerName, "W1", c, lat); o != nil && p != nil && p.RPS > 0 {
				fmt.Fprintf(&b, "| W1 raw ≥ 2 × peer (dedupe) req/s (%s, %d conns) | %.2f × (%.0f vs %.0f) | %s |\n", lat, c, o.RPS/p.RPS, o.RPS, p.RPS, yes(o.RPS >= 2*p.RPS))
				fmt.Fprintf(&b, "| W1 raw p99 ≤ peer (dedupe) p99 (%s, %d conns) | %s ms vs %s ms | %s |\n", lat, c, ms(o.P99), ms(p.P99), yes(o.P99 <= p.P99))
			}
			if o, p := r.find(r.Results, execName, "W1", c, lat), r.find(r.Results, peerNoDedupe, "W1", c, lat); o != nil && p != nil && p.RPS > 0 {
				fmt.Fprintf(&b, "| W1 no merging ≥ 2 × peer, no dedupe req/s (%s, %d conns) | %.2f × (%.0f vs %.0f) | %s |\n", lat, c, o.RPS/p.RPS, o.RPS, p.RPS, yes(o.RPS >= 2*p.RPS))
			}
			if o := r.find(r.Results, execName, "W1", c, lat); o != nil && c == 32 {
				peer := ""
				if p := r.find(r.Results, peerNoDedupe, "W1", c, lat); p != nil {
					peer = fmt.Sprintf(" (peer, no dedupe %.2f)", p.CPUPer1000)
				}
				fmt.Fprintf(&b, "| W1 no merging ≤ 1.0 CPU-ms per query (%s, %d conns) | %.2f%s | %s |\n", lat, c, o.CPUPer1000, peer, yes(o.CPUPer1000 <= 1))
			}
			for _, peer := range []string{peerNoDedupe, peerName} {
				if o, p := r.find(r.Results, rawName, "W5", c, lat), r.find(r.Results, peer, "W5", c, lat); o != nil && p != nil && p.RPS > 0 {
					fmt.Fprintf(&b, "| W5 ≥ 2 × %s req/s (%s, %d conns) | %.2f × (%.0f vs %.0f) | %s |\n", peer, lat, c, o.RPS/p.RPS, o.RPS, p.RPS, yes(o.RPS >= 2*p.RPS))
					fmt.Fprintf(&b, "| W5 p99 ≤ %s's (%s, %d conns) | %s ms vs %s ms | %s |\n", peer, lat, c, ms(o.P99), ms(p.P99), yes(o.P99 <= p.P99))
				}
			}
			if o := r.find(r.Results, execName, "W3", c, lat); o != nil {
				fmt.Fprintf(&b, "| W3 no merging ≤ 5 CPU-ms per query (%s, %d conns) | %.2f | %s |\n", lat, c, o.CPUPer1000, yes(o.CPUPer1000 <= 5))
			}
			for _, w := range []string{"W1", "W3"} {
				// Issue 26: edges { node } must cost the upstream what nodes does.
				if o, e := r.find(r.Results, execName, w, c, lat), r.find(r.Results, execName, w+"-edges", c, lat); o != nil && e != nil {
					fmt.Fprintf(&b, "| %s-edges upstream/q = %s's, no merging (%s, %d conns) | %.3f vs %.3f (CPU-ms %.2f vs %.2f) | %s |\n", w, w, lat, c,
						e.UpstreamPerQuery, o.UpstreamPerQuery, e.CPUPer1000, o.CPUPer1000, yes(e.UpstreamPerQuery <= o.UpstreamPerQuery*1.05+0.01))
				}
			}
			if o := r.find(r.Results, oursName, "W1", c, lat); o != nil && c >= 128 {
				fmt.Fprintf(&b, "| peak RSS ≤ 150 MiB (%s, %d conns) | %.0f MiB | %s |\n", lat, c, o.PeakRSSMiB, yes(o.PeakRSSMiB <= 150))
			}
		}
	}
	for _, c := range r.Cold {
		if c.Server == oursName {
			fmt.Fprintf(&b, "| W1 cold = 2 upstream requests (%s) | %d | %s |\n", c.Latency, c.Cold, yes(c.Cold == 2))
			fmt.Fprintf(&b, "| W1 warm ≤ 0.05 upstream requests (%s) | %.3f | %s |\n", c.Latency, c.Warm, yes(c.Warm <= 0.05))
		}
	}
	for _, a := range r.Abuse {
		fmt.Fprintf(&b, "| W1 p99 < 100 ms under %d attackers sending 14,000 `__typename` with made-up keys (%s, tenant %d conns) | %s ms (alone %s ms) | %s |\n",
			a.Attackers, a.Latency, a.Tenant, ms(a.UnderP99), ms(a.AloneP99), yes(a.UnderP99 < 100*time.Millisecond && a.TenantErrors == 0))
	}
	if len(r.Abuse) > 0 {
		b.WriteString("\n## Abuse: a real tenant's W1 under attackers\n\n| latency | server | tenant conns | attackers | p99 ms alone | p99 ms under attack | req/s alone → under | tenant errors | attacker req/s | attackers' answers |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, a := range r.Abuse {
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %s | %s | %.0f → %.0f | %d | %.0f | %v |\n", a.Latency, a.Server, a.Tenant, a.Attackers,
				ms(a.AloneP99), ms(a.UnderP99), a.AloneRPS, a.UnderRPS, a.TenantErrors, a.AttackRPS, a.AttackCodes)
		}
	}
	b.WriteString("\n## Cold and warm W1\n\n| server | latency | first query | next 20, per query |\n| --- | --- | --- | --- |\n")
	for _, c := range r.Cold {
		fmt.Fprintf(&b, "| %s | %s | %d | %.2f |\n", c.Server, c.Latency, c.Cold, c.Warm)
	}
	table := func(title string, list []result) {
		fmt.Fprintf(&b, "\n## %s\n\n| latency | workload | conns | server | req/s | p50 ms | p90 ms | p99 ms | upstream/q | CPU s / 1k q | sim / client CPU s / 1k q | peak RSS MiB | errors |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n", title)
		for _, x := range list {
			p90 := ms(x.P90)
			if x.P90 == 0 {
				p90 = "–" // not recorded
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %.0f | %s | %s | %s | %.3f | %.2f | %.2f / %.2f | %.0f | %d |\n",
				x.Latency, x.Workload, x.Conns, x.Server, x.RPS, ms(x.P50), p90, ms(x.P99), x.UpstreamPerQuery, x.CPUPer1000, x.SimCPUPer1000, x.ClientCPUPer1000, x.PeakRSSMiB, x.Errors)
		}
	}
	table("All cells", r.Results)
	if len(r.Growth) > 0 {
		table("Growth (zero latency)", r.Growth)
	}
	b.WriteString("\nWorkloads: W1 `posts(range, first: 100) { nodes { id caption postedAt metrics { impressions engagements tmv } member { id name } } }`, identical variables; W2 the same over 1,000 (range, network, project) variables; W3 posts → member → projects, groups, performance(range); W4 members(first: 50) → performance(range), posts(range, first: 3); W1-edges and W3-edges the same queries as `edges { node { … } }`; W5 W1's shape with every request of the run distinct (range, sort, first, network), so no cache of whole answers helps. Servers: ours as served; with no response cache (identical requests in flight still merged, as the peer's dedupe does); with no response cache and no merging (execution alone, W1 and W3); and a baseline with batching, de-duplication and caches off. The peer serves W1, W2 and W5 (bench/peer/tailcall.graphql); W3 and W4 need list-valued batch keys and parent arguments it cannot express correctly.\n")

	if err := os.WriteFile(filepath.Join(dir, "latest.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	raw, _ := json.MarshalIndent(r, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "latest.json"), raw, 0o644); err != nil {
		return err
	}
	if len(r.Results) == 0 {
		return nil // only the abuse workload ran: no chart to draw
	}
	if err := r.chartRPS(filepath.Join(dir, "rps.png")); err != nil {
		return err
	}
	return r.chartGrowth(filepath.Join(dir, "growth.png"))
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func latencies(list []result) []string {
	var out []string
	for _, x := range list {
		if !contains(out, x.Latency) {
			out = append(out, x.Latency)
		}
	}
	return out
}

func conns(list []result) []int {
	var out []int
	for _, x := range list {
		found := false
		for _, c := range out {
			found = found || c == x.Conns
		}
		if !found {
			out = append(out, x.Conns)
		}
	}
	return out
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

var palette = []color.Color{color.RGBA{31, 119, 180, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255}, color.RGBA{214, 39, 40, 255}, color.RGBA{23, 190, 207, 255}}

// chartRPS draws requests per second per cell (workload, conns, latency),
// one bar per server.
func (r *report) chartRPS(path string) error {
	p := plot.New()
	p.Title.Text = "Requests per second (higher is better)"
	p.Y.Label.Text = "req/s"
	var labels []string
	type key struct {
		w, lat string
		c      int
	}
	var cells []key
	for _, x := range r.Results {
		k := key{x.Workload, x.Latency, x.Conns}
		found := false
		for _, c := range cells {
			found = found || c == k
		}
		if !found {
			cells = append(cells, k)
			labels = append(labels, fmt.Sprintf("%s c%d %s", k.w, k.c, strings.ReplaceAll(k.lat, " ", "")))
		}
	}
	servers := []string{oursName, rawName, "aspire-graphql, no batching/dedup/cache", peerName, peerNoDedupe, execName}
	w := vg.Points(6)
	for i, s := range servers {
		vals := make(plotter.Values, len(cells))
		any := false
		for j, c := range cells {
			if x := r.find(r.Results, s, c.w, c.c, c.lat); x != nil {
				vals[j], any = x.RPS, true
			}
		}
		if !any {
			continue
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		bars.Color = palette[i]
		bars.LineStyle.Width = 0
		bars.Offset = (vg.Length(i) - vg.Length(len(servers)-1)/2) * w
		p.Add(bars)
		p.Legend.Add(s, bars)
	}
	p.Legend.Top = true
	p.Y.Min, p.Y.Max = 0, p.Y.Max*1.35 // room for the legend
	p.NominalX(labels...)
	p.X.Tick.Label.Rotation = 0.6
	p.X.Tick.Label.XAlign = -1
	return p.Save(vg.Length(max(8, len(cells)))*vg.Inch*0.9, 5*vg.Inch, path)
}

// chartGrowth draws p50 latency against the page size of W1.
func (r *report) chartGrowth(path string) error {
	p := plot.New()
	p.Title.Text = "W1 growth: p50 latency by page size (zero latency, lower is better)"
	p.X.Label.Text = "first"
	p.Y.Label.Text = "p50 ms"
	for i, s := range []string{oursName, rawName, "aspire-graphql, no batching/dedup/cache", peerName} {
		var pts plotter.XYs
		for _, x := range r.Growth {
			var f int
			if x.Server == s && strings.HasPrefix(x.Workload, "W1") {
				f = 100
				fmt.Sscanf(x.Workload, "W1 first=%d", &f)
				pts = append(pts, plotter.XY{X: float64(f), Y: float64(x.P50.Microseconds()) / 1000})
			}
		}
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color = palette[i]
		l.Width = vg.Points(2)
		p.Add(l)
		p.Legend.Add(s, l)
	}
	p.Legend.Top, p.Legend.Left = true, true
	return p.Save(8*vg.Inch, 4.5*vg.Inch, path)
}
