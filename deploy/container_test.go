package deploy_test

// The container tests build the repository's real Dockerfile with Debian's
// podman and run the image: alone, as three replicas sharing a Redis with
// compose.yaml's environment, and as the Kubernetes Deployment through
// `podman kube play`. No registry is reachable here, so both bases are made
// from this machine (see localBases); without podman (or not as root) the
// tests are skipped, unless ASPIRE_GRAPHQL_REQUIRE_PODMAN=1 (CI), which
// fails them. The image is built once per test run; podman's layer cache
// makes a second run over the same sources cost seconds.
//
// What running them taught (also in docs/deploy.md):
//   - podman needs --runtime=runc (crun fails on this kernel's cgroup mix),
//     --cgroup-manager=cgroupfs, --ulimit nofile/nproc=1024 (the raised
//     defaults are refused) and --network=host here;
//   - `podman build` keeps HEALTHCHECK only with --format docker (the OCI
//     image format has no health check and podman drops it with a warning);
//   - `podman kube play` turns httpGet probes into a curl run inside the
//     container, which an image without a shell or curl cannot run, so the
//     probes are checked here as the kubelet makes them: an HTTP GET of the
//     probe's path and port from outside the container.

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/redisstore/redistest"
)

// imageSizeBound is the most the runtime image may weigh: the stripped
// static binary (about 41 MB) plus CA certificates and two passwd lines.
const imageSizeBound = 50 << 20

var podmanFlags = []string{"--runtime=runc", "--cgroup-manager=cgroupfs"}

var limits = []string{"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"}

// podman runs podman with this machine's flags and returns its stdout.
func podman(args ...string) (string, error) { return podmanEnv(nil, args...) }

// podmanEnv runs podman with env added to the test's environment.
func podmanEnv(env []string, args ...string) (string, error) {
	cmd := exec.Command("podman", slicesConcat(podmanFlags, args)...)
	cmd.Env = append(os.Environ(), env...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("podman %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

func slicesConcat(a, b []string) []string { return append(append([]string{}, a...), b...) }

func mustPodman(t *testing.T, args ...string) string {
	t.Helper()
	out, err := podman(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func requirePodman(t *testing.T) {
	t.Helper()
	_, errP := exec.LookPath("podman")
	_, errR := exec.LookPath("runc")
	if errP == nil && errR == nil && os.Geteuid() == 0 {
		return
	}
	if os.Getenv("ASPIRE_GRAPHQL_REQUIRE_PODMAN") == "1" {
		t.Fatal("podman and runc are needed, as root (scripts/test.sh installs Debian's podman and runc as root)")
	}
	t.Skip("podman and runc as root are needed: scripts/test.sh installs them when run as root")
}

var (
	buildOnce sync.Once
	imageTag  string
	buildErr  error
)

// image builds the Dockerfile once per test run and returns its tag.
func image(t *testing.T) string {
	t.Helper()
	requirePodman(t)
	buildOnce.Do(func() {
		began := time.Now()
		var buildBase, runBase string
		buildBase, runBase, buildErr = localBases()
		if buildErr != nil {
			return
		}
		bases := time.Since(began)
		imageTag = "localhost/aspire-graphql:test"
		// The build stage's Go build cache lives on the host between runs
		// (a volume of the build, not of the Dockerfile): a source change
		// recompiles its packages only, not the standard library and every
		// module, which on this 2-core machine is minutes.
		var cache string
		if cache, buildErr = os.UserCacheDir(); buildErr != nil {
			return
		}
		cache = filepath.Join(cache, "aspire-graphql-image-gocache")
		if buildErr = os.MkdirAll(cache, 0o755); buildErr != nil {
			return
		}
		_, buildErr = podman(append(append([]string{"build", "--format", "docker", "--network=host", "-v", cache + ":/root/.cache/go-build"}, limits...),
			"--build-arg", "BUILD_IMAGE="+buildBase, "--build-arg", "RUNTIME_IMAGE="+runBase, "-t", imageTag, "..")...)
		fmt.Fprintf(os.Stderr, "container tests: bases %v, image built in %v (the layer cache answers unchanged sources)\n",
			bases.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return imageTag
}

// localBases makes the Dockerfile's two bases without a registry, or reuses
// them when they exist: a build base of this machine's GOROOT and a file
// module proxy (GOPROXY=file://) made of its module download cache, so the
// Dockerfile's `go mod download` and `go build` run offline; and a runtime
// base holding what distroless static has that the binary needs: CA
// certificates, /etc/passwd and /etc/group with nonroot (65532), /tmp and
// the home directory. The binary loads no time zone, so no tzdata.
func localBases() (build, run string, err error) {
	// Every module of go.mod in the download cache (a no-op when it is).
	if out, err := exec.Command("go", "mod", "download").CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go mod download: %v: %s", err, out)
	}
	sum, err := os.ReadFile("../go.sum")
	if err != nil {
		return "", "", err
	}
	h := sha256.Sum256(append(sum, runtime.Version()...))
	build = "localhost/aspire-go-build:" + runtime.Version() + "-" + hex.EncodeToString(h[:6])
	run = "localhost/aspire-static-nonroot:1"
	if _, err := podman("image", "exists", build); err != nil {
		if err := importTree(build, goBuildTree, "ENV PATH=/usr/local/go/bin:/bin", "ENV HOME=/root",
			"ENV GOPROXY=file:///goproxy", "ENV GOSUMDB=off", "ENV GOTOOLCHAIN=local", "ENV GOFLAGS=-mod=mod"); err != nil {
			return "", "", err
		}
	}
	if _, err := podman("image", "exists", run); err != nil {
		if err := importTree(run, runtimeTree); err != nil {
			return "", "", err
		}
	}
	return build, run, nil
}

func importTree(tag string, fill func(dir string) error, changes ...string) error {
	dir, err := os.MkdirTemp("", "aspire-base-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := fill(dir); err != nil {
		return err
	}
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	cmd := exec.Command("sh", "-c", `d=$1; shift; tar -C "$d" -c . | podman `+strings.Join(podmanFlags, " ")+` "$@"`, "sh", dir)
	cmd.Args = append(cmd.Args, append(args, "-", tag)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("import %s: %v: %s", tag, err, out)
	}
	return nil
}

// goBuildTree: GOROOT, the module download cache as a file proxy, and a
// shell for the Dockerfile's RUN lines (dash and the two libraries it
// links).
func goBuildTree(dir string) error {
	gomodcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return err
	}
	for _, d := range []string{"usr/local", "goproxy", "bin", "tmp", "root", "etc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(dir, "tmp"), 0o1777); err != nil {
		return err
	}
	script := `set -e
cp -a "$(go env GOROOT)" "$1/usr/local/go"
cp -a "$2/cache/download/." "$1/goproxy/"
cp "$(readlink -f /bin/sh)" "$1/bin/sh"
for lib in $(ldd "$(readlink -f /bin/sh)" | grep -o '/[^ ]*'); do mkdir -p "$1$(dirname "$lib")"; cp "$lib" "$1$lib"; done`
	if out, err := exec.Command("sh", "-c", script, "sh", dir, strings.TrimSpace(string(gomodcache))).CombinedOutput(); err != nil {
		return fmt.Errorf("build base: %v: %s", err, out)
	}
	return nil
}

func runtimeTree(dir string) error {
	for _, d := range []string{"etc/ssl/certs", "tmp", "home/nonroot"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	certs, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		return fmt.Errorf("CA certificates (Debian's ca-certificates): %w", err)
	}
	files := map[string]string{
		"etc/ssl/certs/ca-certificates.crt": string(certs),
		"etc/passwd":                        "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
		"etc/group":                         "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(dir, "tmp"), 0o1777); err != nil {
		return err
	}
	return os.Chown(filepath.Join(dir, "home/nonroot"), 65532, 65532)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// container is one running container on the host network.
type container struct {
	id, base string
	started  time.Time
}

// runContainer starts img with env, listening on a free port, and removes
// it when the test ends.
func runContainer(t *testing.T, img string, env map[string]string) *container {
	t.Helper()
	port := freePort(t)
	env["ASPIRE_GRAPHQL_ADDR"] = "0.0.0.0:" + strconv.Itoa(port)
	args := append([]string{"run", "-d", "--network=host"}, limits...)
	for k, v := range env {
		args = append(args, "-e", k+"="+v)
	}
	c := &container{base: "http://127.0.0.1:" + strconv.Itoa(port), started: time.Now()}
	c.id = mustPodman(t, append(args, img)...)
	t.Cleanup(func() { _, _ = podman("rm", "-f", "-t", "0", c.id) })
	return c
}

// get GETs url, returning status and body (0 when it cannot connect).
func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// until polls cond every 50 ms for up to d and reports whether it held.
func until(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// ready waits for the container's /readyz to answer 200 and returns how
// long it took from `podman run`.
func (c *container) ready(t *testing.T) time.Duration {
	t.Helper()
	if !until(60*time.Second, func() bool { st, _ := get(c.base + "/readyz"); return st == http.StatusOK }) {
		logs, _ := podman("logs", c.id)
		t.Fatalf("%s never ready; logs:\n%s", c.base, logs)
	}
	return time.Since(c.started)
}

type gql struct {
	Data   json.RawMessage
	Errors []struct{ Message string }
}

func ask(base, query string, vars any, headers map[string]string, ext map[string]any) (gql, error) {
	body := map[string]any{"variables": vars}
	if query != "" {
		body["query"] = query
	}
	if ext != nil {
		body["extensions"] = ext
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return gql{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var g gql
	if err := json.Unmarshal(raw, &g); err != nil || resp.StatusCode != http.StatusOK {
		return g, fmt.Errorf("status %d: %.300s", resp.StatusCode, raw)
	}
	if len(g.Errors) > 0 {
		return g, fmt.Errorf("errors: %.300s", raw)
	}
	return g, nil
}

// pid1Uid is the real uid of the container's process, read from /proc.
func pid1Uid(t *testing.T, id string) string {
	t.Helper()
	pid := mustPodman(t, "inspect", "--format", "{{.State.Pid}}", id)
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Uid:\s+(\d+)`).FindSubmatch(status)
	if m == nil {
		t.Fatalf("no Uid in /proc/%s/status", pid)
	}
	return string(m[1])
}

// TestContainerImage: the image runs as nonroot, holds the binary, the CA
// certificates and the passwd files and nothing else (no shell), keeps its
// HEALTHCHECK, and stays under imageSizeBound.
func TestContainerImage(t *testing.T) {
	img := image(t)
	var info []struct {
		Size   int64
		Config struct {
			User       string
			Env        []string
			Entrypoint []string
		}
		Healthcheck *struct{ Test []string }
	}
	if err := json.Unmarshal([]byte(mustPodman(t, "image", "inspect", img)), &info); err != nil || len(info) != 1 {
		t.Fatalf("image inspect: %v", err)
	}
	cfg := info[0].Config
	t.Logf("image %s: %.1f MB, user %s, entrypoint %v, healthcheck %v", img, float64(info[0].Size)/1e6, cfg.User, cfg.Entrypoint, info[0].Healthcheck)
	if info[0].Size > imageSizeBound {
		t.Errorf("image is %d bytes, over the bound of %d", info[0].Size, imageSizeBound)
	}
	if !slices.Contains(cfg.Env, "ASPIRE_GRAPHQL_ADDR=0.0.0.0:8080") {
		t.Errorf("env %v: the image does not listen on every interface", cfg.Env)
	}
	if cfg.User != "nonroot:nonroot" {
		t.Errorf("user %q, want nonroot:nonroot", cfg.User)
	}
	if hc := info[0].Healthcheck; hc == nil || strings.Join(hc.Test, " ") != "CMD /aspire-graphql healthcheck" {
		t.Errorf("healthcheck %+v, want the binary's own (build with --format docker)", hc)
	}

	// Every file of the image, from `podman export` of a created container.
	id := mustPodman(t, "create", img)
	defer podman("rm", "-f", id)
	cmd := exec.Command("podman", slicesConcat(podmanFlags, []string{"export", id})...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeSymlink {
			files = append(files, strings.TrimPrefix(h.Name, "./"))
		}
	}
	t.Logf("files: %v", files)
	for _, f := range files {
		if base := filepath.Base(f); base == "sh" || base == "bash" || base == "busybox" || base == "dash" {
			t.Errorf("the image has a shell: %s", f)
		}
		switch f {
		case "aspire-graphql", "etc/passwd", "etc/group", "etc/ssl/certs/ca-certificates.crt",
			"etc/hosts", "etc/resolv.conf", "run/.containerenv": // the last three: podman's own mounts
		default:
			t.Errorf("unexpected file in the image: %s", f)
		}
	}
	if _, err := podman("run", "--rm", "--network=host", "--entrypoint", "/bin/sh", img, "-c", "true"); err == nil {
		t.Error("/bin/sh ran in the image")
	}
}

// TestContainerDemo: demo mode in the container answers the README's three
// queries and its curl's request, binds the image's address, runs as uid
// 65532, and its HEALTHCHECK reports healthy.
func TestContainerDemo(t *testing.T) {
	img := image(t)
	c := runContainer(t, img, map[string]string{})
	took := c.ready(t)
	t.Logf("demo container ready %v after podman run", took.Round(time.Millisecond))
	if uid := pid1Uid(t, c.id); uid != "65532" {
		t.Errorf("the server runs as uid %s, want 65532 (nonroot)", uid)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<!-- demo-curl -->\n` + "```sh\n.*?-d '([^']*)'").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no demo-curl block")
	}
	resp, err := http.Post(c.base+"/graphql", "application/json", strings.NewReader(string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(raw, []byte(`"data"`)) || bytes.Contains(raw, []byte(`"errors"`)) {
		t.Errorf("the README's curl: %d %.300s", resp.StatusCode, raw)
	}
	queries := regexp.MustCompile("(?s)```graphql\n(query (\\w+).*?)\n```\nwith the variables\n<!-- variables: (\\w+) -->\n```json\n(.*?)\n```").FindAllSubmatch(readme, -1)
	if len(queries) != 4 {
		t.Fatalf("%d README queries with variables, want 4", len(queries))
	}
	for _, q := range queries {
		g, err := ask(c.base, string(q[1]), json.RawMessage(q[4]), nil, nil)
		if err != nil || len(g.Data) < 10 {
			t.Errorf("README query %s: %v %s", q[2], err, g.Data)
		}
	}
	// podman 4.3 prints nothing when healthy (exit 0), "unhealthy" and exit
	// 1 otherwise; the container's state says which.
	if out, err := podman("healthcheck", "run", c.id); err != nil || (out != "" && out != "healthy") {
		t.Errorf("podman healthcheck run: %q %v", out, err)
	}
	if st := mustPodman(t, "inspect", "--format", "{{.State.Health.Status}}", c.id); st != "healthy" {
		t.Errorf("health after podman healthcheck run: %q", st)
	}
}

// blockingUpstream is the simulator behind a gate: a request to a posts
// path with a key says it arrived and waits until released.
type blockingUpstream struct {
	sim     *aspiretest.Server
	arrived chan struct{}
	gate    chan struct{}
	once    sync.Once
}

func (b *blockingUpstream) release() { b.once.Do(func() { close(b.gate) }) }

func (b *blockingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The query's posts call is held; the readiness probe's (/v1/posts
	// too, without a key) is not, or the server would never be ready.
	if strings.Contains(r.URL.Path, "posts") && r.Header.Get("Authorization") != "" {
		select {
		case b.arrived <- struct{}{}:
		default:
		}
		<-b.gate
	}
	b.sim.ServeHTTP(w, r)
}

var demoCreds = map[string]string{"Authorization": "Bearer " + aspiretest.DemoKey, "X-Aspire-Client-Id": aspiretest.DemoClientID}

const postsQuery = `query($r: DateRangeInput!) { posts(range: $r, first: 5) { totalCount nodes { id member { name } } } }`

var october = map[string]any{"r": map[string]any{"start": "2026-10-01", "end": "2026-10-31"}}

// TestContainerDrainsOnSIGTERM: a query in flight when the container is
// sent SIGTERM (podman stop, as the kubelet and compose stop it) is
// answered, and the server exits 0 within the grace period.
func TestContainerDrainsOnSIGTERM(t *testing.T) {
	img := image(t)
	up := &blockingUpstream{sim: aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes)), arrived: make(chan struct{}, 1), gate: make(chan struct{})}
	srv := httptest.NewServer(up)
	defer srv.Close()
	defer up.release()
	c := runContainer(t, img, map[string]string{"ASPIRE_GRAPHQL_UPSTREAM_URL": srv.URL, "ASPIRE_GRAPHQL_SHUTDOWN_TIMEOUT": "15s"})
	c.ready(t)
	answer := make(chan error, 1)
	go func() { _, err := ask(c.base, postsQuery, october, demoCreds, nil); answer <- err }()
	select {
	case <-up.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the query never reached the upstream")
	}
	stopped := make(chan error, 1)
	began := time.Now()
	go func() { _, err := podman("stop", "-t", "20", c.id); stopped <- err }()
	// Released once the server says it is draining: the answer then comes
	// from a server that has stopped accepting.
	if !until(20*time.Second, func() bool { logs, _ := podman("logs", c.id); return strings.Contains(logs, "shutting down") }) {
		t.Fatal("the server never logged its shutdown")
	}
	up.release()
	if err := <-answer; err != nil {
		t.Errorf("the in-flight query: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	code := mustPodman(t, "inspect", "--format", "{{.State.ExitCode}}", c.id)
	t.Logf("SIGTERM to exit %s in %v with one query in flight", code, time.Since(began).Round(time.Millisecond))
	if code != "0" {
		t.Errorf("exit code %s, want 0", code)
	}
	if d := time.Since(began); d > 15*time.Second {
		t.Errorf("stopped after %v, past the 15 s shutdown timeout", d)
	}
}

// composeEnv is compose.yaml's environment of the aspire-graphql service,
// interpolated with vars, Redis's host:port replaced by redisAddr (the
// compose network's name "redis" is the host network's 127.0.0.1 here).
func composeEnv(t *testing.T, vars map[string]string, redisAddr string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.UnmarshalStrict(b, &cf); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for k, v := range cf.Services["aspire-graphql"].Environment {
		v = regexp.MustCompile(`\$\{([A-Z_]+):-([^}]*)\}`).ReplaceAllStringFunc(v, func(s string) string {
			m := regexp.MustCompile(`\$\{([A-Z_]+):-([^}]*)\}`).FindStringSubmatch(s)
			if x, ok := vars[m[1]]; ok {
				return x
			}
			return m[2]
		})
		env[k] = strings.Replace(v, "redis:6379", redisAddr, 1)
	}
	return env
}

// TestContainerReplicas: three containers of the image with compose.yaml's
// environment and one redis-server (Debian's, on the host network), over
// the simulator on the host, whose request log is the witness.
func TestContainerReplicas(t *testing.T) {
	img := image(t)
	redis := redistest.Start(t)
	sim := aspiretest.New(aspiretest.WithRateLimit(0, 0), aspiretest.WithSizes(aspiretest.SmallSizes))
	up := httptest.NewServer(sim)
	defer up.Close()
	env := composeEnv(t, map[string]string{"ASPIRE_UPSTREAM_URL": up.URL}, redis.Addr())
	// Beside compose's settings: a generous Redis command timeout, because
	// this 2-core machine runs the race-detector tests of other packages at
	// the same time, and a command past the default 100 ms sends a replica
	// to its local cache, which would cost an upstream call.
	env["ASPIRE_GRAPHQL_REDIS_TIMEOUT"] = "1s"
	t.Logf("environment: %v", env)
	var rs []*container
	for range 3 {
		rs = append(rs, runContainer(t, img, maps(env)))
	}
	for i, c := range rs {
		t.Logf("replica %d ready %v after podman run", i, c.ready(t).Round(time.Millisecond))
	}

	// A query on A costs 2 upstream requests; B and C answer it from Redis.
	before := sim.Requests()
	a, err := ask(rs[0].base, postsQuery, october, demoCreds, nil)
	if err != nil {
		t.Fatal(err)
	}
	costA := sim.Count("") - len(before)
	for _, r := range before {
		t.Logf("before the query: %s %s %d", r.Method, r.Path, r.Status)
	}
	for _, c := range rs[1:] {
		other, err := ask(c.base, postsQuery, october, demoCreds, nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(other.Data) != string(a.Data) {
			t.Errorf("%s answered differently:\n%s\n%s", c.base, other.Data, a.Data)
		}
	}
	others := sim.Count("") - len(before) - costA
	t.Logf("upstream requests: replica A %d, replicas B and C together %d", costA, others)
	if costA != 2 || others != 0 {
		t.Errorf("upstream requests: A %d (want 2: the page, then its members), B and C %d (want 0)", costA, others)
	}

	// An APQ hash registered on A is answered by B and C.
	const q = `{ projects { totalCount } }`
	h := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(h[:])}}
	if _, err := ask(rs[1].base, "", nil, demoCreds, ext); err == nil || !strings.Contains(err.Error(), "PersistedQueryNotFound") {
		t.Fatalf("an unknown hash on B: %v", err)
	}
	if _, err := ask(rs[0].base, q, nil, demoCreds, ext); err != nil {
		t.Fatalf("registering on A: %v", err)
	}
	for _, c := range rs[1:] {
		if g, err := ask(c.base, "", nil, demoCreds, ext); err != nil || !strings.Contains(string(g.Data), `"totalCount":`) {
			t.Fatalf("the hash on %s: %s %v", c.base, g.Data, err)
		}
	}

	// /readyz says degraded while Redis is away, and recovers. A replica
	// learns either when a command fails or succeeds, so each is asked a
	// new query (one that uses Redis) before each look.
	var n int
	say := func(c *container, degraded bool) bool {
		n++
		_, _ = ask(c.base, postsQuery, map[string]any{"r": map[string]any{"start": "2026-01-01", "end": fmt.Sprintf("2026-01-%02d", 2+n%28)}}, demoCreds, nil)
		st, b := get(c.base + "/readyz")
		return st == http.StatusOK && strings.Contains(b, "degraded") == degraded
	}
	redis.Kill()
	for i, c := range rs {
		if !until(20*time.Second, func() bool { return say(c, true) }) {
			st, b := get(c.base + "/readyz")
			t.Errorf("replica %d with Redis down: %d %q", i, st, b)
		}
	}
	_, down := get(rs[0].base + "/readyz")
	t.Logf("readyz with Redis down: %q", strings.TrimSpace(down))
	redis.Restart()
	for i, c := range rs {
		if !until(20*time.Second, func() bool { return say(c, false) }) {
			st, b := get(c.base + "/readyz")
			t.Errorf("replica %d after Redis returned: %d %q", i, st, b)
		}
	}
}

func maps(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// kubeRender renders k8s/ as kustomize would for this kustomization (a
// list of resources, no patches): the documents of its resources in order.
func kubeRender(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("k8s/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
	}
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v (only resources are rendered here)", err)
	}
	var docs []string
	for _, r := range k.Resources {
		b, err := os.ReadFile(filepath.Join("k8s", r))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
			if strings.TrimSpace(d) != "" {
				docs = append(docs, d)
			}
		}
	}
	return docs
}

// TestContainerKubePlay plays the aspire-graphql Deployment with its
// ConfigMap and Secret (the redis StatefulSet, Service, HPA and PDB are
// not kinds podman plays; Redis's image cannot be pulled here) with the
// image replaced by the local one, and checks the pod: its probes answer as
// the kubelet asks them, it runs as the manifest's user, and its
// environment is exactly the ConfigMap's and Secret's keys, every one a
// setting of the server.
func TestContainerKubePlay(t *testing.T) {
	img := image(t)
	known := settings(t)
	port := freePort(t)
	// The upstream is the simulator on the host, with its demo workspace's
	// key and client id: /readyz checks the server key with the upstream,
	// and the manifests' placeholder host never answers. On the host
	// network the pod's port is the server's address: a free one, not 8080,
	// so that nothing else on the machine answers the probes.
	sim := httptest.NewServer(aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes)))
	defer sim.Close()
	overrides := map[string]string{
		"ASPIRE_GRAPHQL_ADDR":         "0.0.0.0:" + strconv.Itoa(port),
		"ASPIRE_GRAPHQL_UPSTREAM_URL": sim.URL,
		"ASPIRE_GRAPHQL_API_KEY":      aspiretest.DemoKey,
		"ASPIRE_GRAPHQL_CLIENT_ID":    aspiretest.DemoClientID,
	}
	var played []string
	want := map[string]string{}
	var dep appsv1.Deployment
	for _, d := range kubeRender(t) {
		var meta struct {
			Kind       string
			Metadata   struct{ Name string }
			Data       map[string]string
			StringData map[string]string `json:"stringData"`
		}
		if err := yaml.Unmarshal([]byte(d), &meta); err != nil {
			t.Fatal(err)
		}
		if meta.Metadata.Name != "aspire-graphql" {
			continue
		}
		switch meta.Kind {
		case "Secret":
			// podman 4.3 stores a played Secret as YAML and reads the
			// secrets of envFrom as JSON of base64 values, so a played
			// Secret cannot be used: the test creates the podman secret in
			// the form envFrom reads, with the manifest's values.
			data := map[string][]byte{}
			for k, v := range meta.StringData {
				if o, ok := overrides[k]; ok {
					v = o
				}
				data[k] = []byte(v)
				want[k] = v
			}
			b, _ := json.Marshal(data)
			f := filepath.Join(t.TempDir(), "secret.json")
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
			_, _ = podman("secret", "rm", meta.Metadata.Name)
			mustPodman(t, "secret", "create", meta.Metadata.Name, f)
			t.Cleanup(func() { _, _ = podman("secret", "rm", meta.Metadata.Name) })
			continue
		case "ConfigMap":
			for k, v := range meta.Data {
				if o, ok := overrides[k]; ok {
					v = o
				}
				meta.Data[k] = v
				want[k] = v
			}
			b, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": meta.Metadata.Name}, "data": meta.Data})
			d = string(b)
		case "Deployment":
			d = strings.Replace(d, "image: ghcr.io/your-org/aspire-graphql:latest", "image: "+img, 1)
			d = strings.Replace(d, "containerPort: 8080", "containerPort: "+strconv.Itoa(port), 1)
			if err := yaml.UnmarshalStrict([]byte(d), &dep); err != nil {
				t.Fatal(err)
			}
			// podman refuses port mappings on the host network ("PortMappings
			// can only be used with Bridge or slirp4netns networking"): the
			// played copy has none; the probes' named port is read above.
			// One replica: on the host network three would share one port.
			played := dep.DeepCopy()
			played.Spec.Template.Spec.Containers[0].Ports = nil
			played.Spec.Replicas = new(int32(1))
			b, err := yaml.Marshal(played)
			if err != nil {
				t.Fatal(err)
			}
			d = string(b)
		default:
			continue
		}
		played = append(played, d)
	}
	if len(played) != 2 || len(dep.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want the ConfigMap and Deployment of aspire-graphql; got %d documents", len(played))
	}
	file := filepath.Join(t.TempDir(), "play.yaml")
	if err := os.WriteFile(file, []byte(strings.Join(played, "\n---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	// A pod left by an interrupted run holds the name (--replace does not
	// take a half-made one away).
	pod := dep.Name + "-pod-0"
	_, _ = podman("pod", "rm", "-f", "-t", "0", pod)
	// kube play has no --ulimit: the limits this machine allows come from
	// a containers.conf of the test's.
	conf := filepath.Join(t.TempDir(), "containers.conf")
	if err := os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := podmanEnv([]string{"CONTAINERS_CONF=" + conf}, "kube", "play", "--network", "host", "--replace", file); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = podman("pod", "rm", "-f", "-t", "0", pod) })
	var ids []string
	for _, l := range strings.Fields(mustPodman(t, "ps", "-a", "-q", "--filter", "pod="+pod)) {
		if info, _ := podman("inspect", "--format", "{{.IsInfra}}", l); info == "false" {
			ids = append(ids, l)
		}
	}
	if len(ids) != 1 {
		all, _ := podman("ps", "-a")
		t.Fatalf("want one aspire-graphql container in %s, got %v:\n%s", pod, ids, all)
	}
	id := ids[0]

	spec := dep.Spec.Template.Spec.Containers[0]
	probe := func(name, path string, port string) bool {
		for _, p := range spec.Ports {
			if p.Name == port {
				st, _ := get(fmt.Sprintf("http://127.0.0.1:%d%s", p.ContainerPort, path))
				return st == http.StatusOK
			}
		}
		t.Fatalf("%s probe: no port %q", name, port)
		return false
	}
	r, l := spec.ReadinessProbe.HTTPGet, spec.LivenessProbe.HTTPGet
	if !until(60*time.Second, func() bool { return probe("readiness", r.Path, r.Port.StrVal) }) {
		logs, _ := podman("logs", id)
		t.Fatalf("the readiness probe (GET %s on %s) never passed; logs:\n%s", r.Path, r.Port.StrVal, logs)
	}
	t.Logf("pod ready %v after podman kube play", time.Since(began).Round(time.Millisecond))
	if !probe("liveness", l.Path, l.Port.StrVal) {
		t.Errorf("the liveness probe (GET %s on %s) fails", l.Path, l.Port.StrVal)
	}
	if uid, want := pid1Uid(t, id), strconv.FormatInt(*dep.Spec.Template.Spec.SecurityContext.RunAsUser, 10); uid != want {
		t.Errorf("the pod runs as uid %s, want %s", uid, want)
	}
	var env []string
	if err := json.Unmarshal([]byte(mustPodman(t, "inspect", "--format", "{{json .Config.Env}}", id)), &env); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ASPIRE_GRAPHQL_") {
			got[k] = v
			if !known[k] {
				t.Errorf("the pod's %s is not a setting of the server", k)
			}
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("the pod's %s = %q, want %q (the manifests')", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("the pod has %s, which no manifest sets", k)
		}
	}
}
