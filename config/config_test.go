package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/config"
)

// The README's configuration table is the settings table.
func TestReadmeHasTheSettingsTable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), config.MarkdownTable()) {
		t.Fatalf("README.md's configuration table is out of date; paste this:\n%s", config.MarkdownTable())
	}
}

func TestModesAndValidation(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		mode    config.Mode
		wantErr string
	}{
		{"demo by default", nil, nil, config.Demo, ""},
		{"passthrough", []string{"-upstream-url", "https://api.example.com"}, nil, config.Passthrough, ""},
		{"server key on loopback", []string{"-upstream-url", "https://x.io", "-api-key", "k", "-client-id", "c"}, nil, config.ServerKey, ""},
		{"server key needs a client id", []string{"-upstream-url", "https://x.io", "-api-key", "k"}, nil, "", "needs client-id"},
		{"server key on a public address needs tokens", []string{"-addr", "0.0.0.0:80", "-upstream-url", "https://x.io", "-api-key", "k", "-client-id", "c"}, nil, "", "needs access-tokens"},
		{"short tokens refused", []string{"-access-tokens", "short"}, nil, "", "at least 16"},
		{"flag wins over env", []string{"-upstream-url", "https://flag.io"}, map[string]string{"ASPIRE_GRAPHQL_UPSTREAM_URL": "ftp://env"}, config.Passthrough, ""},
		{"env read", nil, map[string]string{"ASPIRE_GRAPHQL_UPSTREAM_URL": "https://env.io"}, config.Passthrough, ""},
		{"bad env value named", nil, map[string]string{"ASPIRE_GRAPHQL_RETRIES": "many"}, "", "ASPIRE_GRAPHQL_RETRIES"},
		{"bad url", []string{"-upstream-url", "api.aspire.io"}, nil, "", "want http(s)://"},
		{"bad addr", []string{"-addr", "8080"}, nil, "", "host:port"},
		{"unknown flag", []string{"-nope"}, nil, "", "see -h"},
		{"trusted proxies", []string{"-trusted-proxies", "10.0.0.0/8, 127.0.0.1,::1,fd00::/8"}, nil, config.Demo, ""},
		{"a trusted proxy that is no address", []string{"-trusted-proxies", "10.0.0.0/8,nginx"}, nil, "", `trusted-proxies: "nginx" is neither an address`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := config.Load("x", tc.args, env(tc.env), nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || c.Mode() != tc.mode {
				t.Fatalf("err %v, mode %v, want %v", err, c, tc.mode)
			}
		})
	}
}
