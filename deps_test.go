package main

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// testOnlyModules are the modules go.mod requires for tests, the bench
// harness and tools only: none may enter the server binary, where it would
// cost every first build (and the image) its compile time and size.
var testOnlyModules = []string{
	"github.com/chromedp/chromedp", "github.com/chromedp/cdproto", // browser test
	"go.uber.org/goleak",                                    // leak checks
	"gonum.org/v1/plot",                                     // bench harness charts
	"k8s.io/api", "k8s.io/apimachinery", "sigs.k8s.io/yaml", // deploy checks
	"honnef.co/go/tools", // staticcheck (a tool)
}

// modulesOf lists the modules of the packages pkgs import, transitively.
func modulesOf(t *testing.T, pkgs ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}"}, pkgs...)...).Output()
	if err != nil {
		t.Fatalf("go list -deps %v: %v", pkgs, err)
	}
	mods := strings.Fields(string(out))
	slices.Sort(mods)
	return slices.Compact(mods)
}

// TestServerImportsNoTestOnlyModule: `go list -deps .` (the server binary)
// holds no package of a test-, bench- or tool-only module. It checks its
// own list too: each module is required in go.mod, and the bench harness's
// graph, which does use one, is caught.
func TestServerImportsNoTestOnlyModule(t *testing.T) {
	t.Parallel()
	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range testOnlyModules {
		if !regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(m) + `\s+v`).Match(gomod) {
			t.Errorf("%s is not required in go.mod: drop it from testOnlyModules", m)
		}
	}
	server := modulesOf(t, ".")
	for _, m := range server {
		if slices.Contains(testOnlyModules, m) {
			t.Errorf("the server binary imports the test-only module %s (go list -deps . | grep %s)", m, m)
		}
	}
	caught := 0
	for _, m := range modulesOf(t, "./bench") {
		if slices.Contains(testOnlyModules, m) {
			caught++
		}
	}
	if caught == 0 {
		t.Error("the bench harness's graph has none of testOnlyModules: the check cannot fail")
	}
	t.Logf("the server binary: %d modules", len(server))
}
