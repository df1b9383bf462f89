package deploy_test

import (
	"os/exec"
	"testing"
)

// TestPrometheusConfig runs Prometheus's own parser on the Compose file's
// scrape configuration when promtool is installed (Debian's prometheus
// package; CI does not install it, so there the test is skipped). nginx's
// configuration is not checked so: its `server … resolve` in an upstream
// block needs nginx 1.27.3 or later (the image is nginx:1.28), and Debian 12
// ships 1.22, which refuses it.
func TestPrometheusConfig(t *testing.T) {
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Skip("promtool is not installed (apt-get install prometheus)")
	}
	out, err := exec.Command("promtool", "check", "config", "compose/prometheus.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
