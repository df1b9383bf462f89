// Package deploy_test checks the deploy files offline (no Docker engine or
// cluster is needed): every Kubernetes manifest decodes strictly into the
// Kubernetes API types (k8s.io/api; unknown or duplicate fields fail), the
// compose file strictly into the subset of the Compose specification it
// uses, and every setting they pass is one the server's settings table knows
// and accepts (config.Load runs on them).
package deploy_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/aspire-graphql/aspire-graphql/config"
)

// settings are the environment variables of the server's settings table.
func settings(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	for _, m := range regexp.MustCompile("`(ASPIRE_GRAPHQL_[A-Z_]+)`").FindAllStringSubmatch(config.MarkdownTable(), -1) {
		known[m[1]] = true
	}
	if len(known) < 30 {
		t.Fatalf("only %d settings in the table", len(known))
	}
	return known
}

// load runs the server's own settings parser on env.
func load(t *testing.T, env map[string]string) *config.Config {
	t.Helper()
	cfg, _, err := config.Load("deploy", nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("the server refuses these settings: %v", err)
	}
	return cfg
}

type manifests struct {
	deployments  []appsv1.Deployment
	statefulSets []appsv1.StatefulSet
	services     []corev1.Service
	configMaps   []corev1.ConfigMap
	secrets      []corev1.Secret
	hpas         []autoscalingv2.HorizontalPodAutoscaler
	pdbs         []policyv1.PodDisruptionBudget
}

func strict[T any](t *testing.T, name string, doc []byte) T {
	t.Helper()
	var v T
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func readManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var m manifests
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			name := f + " #" + string(rune('1'+i))
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			switch tm.APIVersion + " " + tm.Kind {
			case "apps/v1 Deployment":
				m.deployments = append(m.deployments, strict[appsv1.Deployment](t, name, []byte(doc)))
			case "apps/v1 StatefulSet":
				m.statefulSets = append(m.statefulSets, strict[appsv1.StatefulSet](t, name, []byte(doc)))
			case "v1 Service":
				m.services = append(m.services, strict[corev1.Service](t, name, []byte(doc)))
			case "v1 ConfigMap":
				m.configMaps = append(m.configMaps, strict[corev1.ConfigMap](t, name, []byte(doc)))
			case "v1 Secret":
				m.secrets = append(m.secrets, strict[corev1.Secret](t, name, []byte(doc)))
			case "autoscaling/v2 HorizontalPodAutoscaler":
				m.hpas = append(m.hpas, strict[autoscalingv2.HorizontalPodAutoscaler](t, name, []byte(doc)))
			case "policy/v1 PodDisruptionBudget":
				m.pdbs = append(m.pdbs, strict[policyv1.PodDisruptionBudget](t, name, []byte(doc)))
			default:
				t.Fatalf("%s: unexpected %s %s", name, tm.APIVersion, tm.Kind)
			}
		}
	}
	return m
}

func matches(selector map[string]string, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestKubernetesManifests(t *testing.T) {
	known := settings(t)
	m := readManifests(t)
	if len(m.deployments) != 1 || len(m.services) < 2 || len(m.hpas) != 1 || len(m.pdbs) != 1 || len(m.statefulSets) != 1 {
		t.Fatalf("want one Deployment, HPA, PDB and Redis StatefulSet and two Services; got %d %d %d %d %d",
			len(m.deployments), len(m.hpas), len(m.pdbs), len(m.statefulSets), len(m.services))
	}
	d := m.deployments[0]
	pod := d.Spec.Template
	if !matches(d.Spec.Selector.MatchLabels, pod.Labels) {
		t.Error("the Deployment's selector does not match its pods")
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" {
		t.Error("readiness probe: want GET /readyz")
	}
	if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
		t.Error("liveness probe: want GET /healthz")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		t.Error("resource requests: want cpu and memory")
	}
	if sc := pod.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("the pod must run as non-root")
	}
	if sc := c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("the container must not allow privilege escalation")
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}

	// The settings: every key of the ConfigMap and Secret the pods read is a
	// setting, and together they are settings the server accepts.
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			i := slices.IndexFunc(m.configMaps, func(cm corev1.ConfigMap) bool { return cm.Name == ef.ConfigMapRef.Name })
			if i < 0 {
				t.Fatalf("envFrom: no ConfigMap %q", ef.ConfigMapRef.Name)
			}
			for k, v := range m.configMaps[i].Data {
				env[k] = v
			}
		case ef.SecretRef != nil:
			i := slices.IndexFunc(m.secrets, func(s corev1.Secret) bool { return s.Name == ef.SecretRef.Name })
			if i < 0 {
				t.Fatalf("envFrom: no Secret %q", ef.SecretRef.Name)
			}
			for k, v := range m.secrets[i].StringData {
				env[k] = v
			}
		}
	}
	for k := range env {
		if !known[k] {
			t.Errorf("the pods get %s, which is not a setting of the server (see aspire-graphql -h)", k)
		}
	}
	for _, k := range []string{"ASPIRE_GRAPHQL_API_KEY", "ASPIRE_GRAPHQL_ACCESS_TOKENS", "ASPIRE_GRAPHQL_REDIS_URL"} {
		if i := slices.IndexFunc(m.configMaps, func(cm corev1.ConfigMap) bool { _, ok := cm.Data[k]; return ok }); i >= 0 {
			t.Errorf("%s is a secret but sits in a ConfigMap", k)
		}
	}
	cfg := load(t, env)
	if cfg.Mode() != config.ServerKey || cfg.RedisURL == "" {
		t.Errorf("mode %s, redis %q: want server-key mode with Redis", cfg.Mode(), cfg.RedisURL)
	}
	if _, port, _ := strings.Cut(cfg.Addr, ":"); port != "8080" || ports["http"] != 8080 {
		t.Errorf("the server listens on %s, the container port is %d", cfg.Addr, ports["http"])
	}
	if u, err := url.Parse(cfg.RedisURL); err != nil || !slices.ContainsFunc(m.services, func(s corev1.Service) bool { return s.Name == u.Hostname() }) {
		t.Errorf("redis-url %v names no Service of these manifests", u)
	}

	for _, s := range m.services {
		if s.Name != d.Name {
			continue
		}
		if !matches(s.Spec.Selector, pod.Labels) {
			t.Error("the Service's selector does not match the pods")
		}
		for _, p := range s.Spec.Ports {
			if p.TargetPort.StrVal != "" && ports[p.TargetPort.StrVal] == 0 {
				t.Errorf("the Service targets port %q, which the container does not name", p.TargetPort.StrVal)
			}
		}
	}
	hpa := m.hpas[0]
	if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != d.Name {
		t.Errorf("the HPA scales %s %s", hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name)
	}
	if int(hpa.Spec.MaxReplicas) != cfg.ExpectedReplicas {
		t.Errorf("expected-replicas is %d but the HPA may run %d: while Redis is down the replicas would overspend the budget",
			cfg.ExpectedReplicas, hpa.Spec.MaxReplicas)
	}
	pdb := m.pdbs[0]
	if !matches(pdb.Spec.Selector.MatchLabels, pod.Labels) {
		t.Error("the PDB's selector does not match the pods")
	}
	if pdb.Spec.MinAvailable == nil || hpa.Spec.MinReplicas == nil || int32(pdb.Spec.MinAvailable.IntValue()) >= *hpa.Spec.MinReplicas {
		t.Error("the PDB's minAvailable must be below the HPA's minReplicas, or no node could ever be drained")
	}

	// kustomization.yaml lists every manifest.
	var kust struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
	}
	b, err := os.ReadFile("k8s/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, &kust); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("k8s/*.yaml")
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(kust.Resources, base) {
			t.Errorf("kustomization.yaml does not list %s", base)
		}
	}
}

// The subset of the Compose specification that compose.yaml uses; strict
// decoding makes a misspelt key an error, as `docker compose config` would.
type composeFile struct {
	Name     string                    `json:"name"`
	Services map[string]composeService `json:"services"`
}

type composeService struct {
	Build *struct {
		Context    string `json:"context"`
		Dockerfile string `json:"dockerfile"`
	} `json:"build"`
	Image  string `json:"image"`
	Deploy *struct {
		Replicas  int `json:"replicas"`
		Resources struct {
			Limits struct {
				CPUs   string `json:"cpus"`
				Memory string `json:"memory"`
			} `json:"limits"`
		} `json:"resources"`
	} `json:"deploy"`
	Command     []string          `json:"command"`
	Environment map[string]string `json:"environment"`
	Expose      []string          `json:"expose"`
	Ports       []string          `json:"ports"`
	Volumes     []string          `json:"volumes"`
	DependsOn   json.RawMessage   `json:"depends_on"`
	Restart     string            `json:"restart"`
	Healthcheck *struct {
		Test     []string `json:"test"`
		Interval string   `json:"interval"`
		Timeout  string   `json:"timeout"`
		Retries  int      `json:"retries"`
	} `json:"healthcheck"`
}

// interpolate applies Compose's ${VAR:-default} with an empty environment.
func interpolate(s string) string {
	return regexp.MustCompile(`\$\{[A-Z_]+:-([^}]*)\}`).ReplaceAllString(s, "$1")
}

func TestComposeFile(t *testing.T) {
	known := settings(t)
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.UnmarshalStrict(b, &cf); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"aspire-graphql", "redis", "lb", "prometheus", "grafana"} {
		if _, ok := cf.Services[name]; !ok {
			t.Fatalf("no service %s", name)
		}
	}
	app := cf.Services["aspire-graphql"]
	if app.Deploy == nil || app.Deploy.Replicas != 3 {
		t.Fatal("want three replicas of aspire-graphql")
	}
	if app.Build == nil {
		t.Fatal("aspire-graphql is not built from the repository")
	}
	if _, err := os.Stat(filepath.Join(app.Build.Context, app.Build.Dockerfile)); err != nil {
		t.Errorf("build: %v", err)
	}
	env := map[string]string{}
	for k, v := range app.Environment {
		if !known[k] {
			t.Errorf("compose passes %s, which is not a setting of the server (see aspire-graphql -h)", k)
		}
		env[k] = interpolate(v)
	}
	cfg := load(t, env)
	if cfg.RedisURL == "" || cfg.ExpectedReplicas != app.Deploy.Replicas {
		t.Errorf("redis-url %q, expected-replicas %d for %d replicas", cfg.RedisURL, cfg.ExpectedReplicas, app.Deploy.Replicas)
	}
	if u, _ := url.Parse(cfg.RedisURL); u == nil || cf.Services[u.Hostname()].Image == "" {
		t.Errorf("redis-url %q names no service", cfg.RedisURL)
	}
	// Every file mounted into a service is in the repository.
	for name, s := range cf.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if _, err := os.Stat(src); err != nil {
				t.Errorf("%s mounts %s: %v", name, src, err)
			}
		}
	}
	nginx, err := os.ReadFile("compose/nginx.conf")
	if err != nil || !bytes.Contains(nginx, []byte("server aspire-graphql:8080")) {
		t.Errorf("nginx.conf does not balance over aspire-graphql:8080 (%v)", err)
	}

	var prom struct {
		Global        map[string]string `json:"global"`
		ScrapeConfigs []struct {
			JobName      string `json:"job_name"`
			DNSSDConfigs []struct {
				Names           []string `json:"names"`
				Type            string   `json:"type"`
				Port            int      `json:"port"`
				RefreshInterval string   `json:"refresh_interval"`
			} `json:"dns_sd_configs"`
		} `json:"scrape_configs"`
	}
	pb, err := os.ReadFile("compose/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(pb, &prom); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	if len(prom.ScrapeConfigs) != 1 || len(prom.ScrapeConfigs[0].DNSSDConfigs) != 1 ||
		!slices.Contains(prom.ScrapeConfigs[0].DNSSDConfigs[0].Names, "aspire-graphql") || prom.ScrapeConfigs[0].DNSSDConfigs[0].Port != 8080 {
		t.Errorf("prometheus.yml does not scrape every aspire-graphql replica on 8080: %+v", prom.ScrapeConfigs)
	}
}

// TestDashboard checks that the Grafana dashboard is valid JSON whose
// queries name only metrics the server exports.
func TestDashboard(t *testing.T) {
	b, err := os.ReadFile("compose/grafana/dashboards/aspire-graphql.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	var sources []byte
	for _, f := range []string{"../telemetry/telemetry.go", "../redisstore/metrics.go"} {
		s, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, s...)
	}
	seen := map[string]bool{}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, name := range regexp.MustCompile(`\b((?:http|graphql|aspire|redis)_[a-z_]+)\b`).FindAllString(tg.Expr, -1) {
				base := regexp.MustCompile(`_(bucket|sum|count)$`).ReplaceAllString(name, "")
				seen[base] = true
				if !bytes.Contains(sources, []byte(`"`+base+`"`)) {
					t.Errorf("panel %q queries %s, which the server does not export", p.Title, name)
				}
			}
		}
	}
	// What the issue asks the dashboard to show.
	for _, want := range []string{"graphql_operations_total", "graphql_operation_duration_seconds", "aspire_upstream_requests_total",
		"aspire_cache_requests_total", "redis_cache_requests_total", "aspire_rate_limit_waits_total", "redis_up", "redis_errors_total"} {
		if !seen[want] {
			t.Errorf("no panel shows %s", want)
		}
	}
}
