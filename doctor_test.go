package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// runDoctor runs the doctor command and returns its output and error.
func runDoctor(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"aspire-graphql", "doctor"}, args...), func(string) string { return "" }, &out, io.Discard)
	return out.String(), err
}

func TestDoctor(t *testing.T) {
	t.Parallel()
	t.Run("demo: all green", func(t *testing.T) {
		t.Parallel()
		out, err := runDoctor(t)
		if err != nil || strings.Count(out, "✓ ") != 9 || strings.Contains(out, "✗") {
			t.Fatalf("err %v\n%s", err, out)
		}
		// It says what it checks, and no 401 stands beside a ✓.
		if !strings.Contains(out, "✓ base URL answers: the built-in simulator (demo mode") || regexp.MustCompile(`\b401\b`).MatchString(out) {
			t.Fatalf("demo wording:\n%s", out)
		}
	})
	sim := aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes))
	up := httptest.NewServer(sim)
	t.Cleanup(up.Close)
	// An old workspace: its posts end in June, more than 30 days ago.
	old := aspiretest.SmallSizes
	old.Last = aspire.NewDate(2026, 6, 30)
	oldUp := httptest.NewServer(aspiretest.New(aspiretest.WithSizes(old)))
	t.Cleanup(oldUp.Close)
	today := aspire.DateOf(time.Now().UTC())
	quiet, ancient := aspiretest.SmallSizes, aspiretest.SmallSizes
	quiet.Last, ancient.Last = today.AddDays(-45), today.AddDays(-500)
	quietUp := httptest.NewServer(aspiretest.New(aspiretest.WithSizes(quiet)))
	t.Cleanup(quietUp.Close)
	ancientUp := httptest.NewServer(aspiretest.New(aspiretest.WithSizes(ancient)))
	t.Cleanup(ancientUp.Close)
	// A host that accepts connections and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	t.Cleanup(func() {
		silent.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	tlsUp := httptest.NewTLSServer(aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes))) // a certificate nobody trusts
	t.Cleanup(tlsUp.Close)
	drifted := aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes))
	drifted.SetDrift(map[string]string{"tmv": "total_media_value", "caption": ""})
	driftUp := httptest.NewServer(drifted)
	t.Cleanup(driftUp.Close)

	with := func(base, key, client string) []string {
		return []string{"-upstream-url", base, "-api-key", key, "-client-id", client}
	}
	cases := []struct {
		name string
		args []string
		line string // a line the report must hold
		ok   bool
	}{
		{"real upstream, good key", with(up.URL, aspiretest.DemoKey, aspiretest.DemoClientID), "✓ API key accepted: yes\n", true},
		{"wrong key", with(up.URL, "sk_not_a_key", aspiretest.DemoClientID),
			"✗ API key accepted: the key is wrong, has extra spaces, or has expired (HTTP 401) — create or copy the key again in Settings → Integrations → Aspire API (it is shown once)\n", false},
		{"key with spaces", with(up.URL, "  "+aspiretest.DemoKey+" ", aspiretest.DemoClientID),
			"✓ API key accepted: yes (the key had spaces around it; they were removed: check how you copy it)\n", true},
		{"expired key", with(up.URL, aspiretest.DemoExpiredKey, aspiretest.DemoClientID), "✗ API key accepted: the key has expired (HTTP 401)", false},
		{"missing scope", with(up.URL, aspiretest.DemoMemberOnlyKey, aspiretest.DemoClientID),
			"✗ scopes: the key lacks read:social (posts, members) — create a key with those scopes in Settings → Integrations → Aspire API\n", false},
		{"foreign client id", with(up.URL, aspiretest.DemoKey, aspiretest.OtherClientID),
			"✗ client id matches the key's workspace: " + aspiretest.OtherClientID + ": HTTP 403 — use the id after /client/ in your Aspire URL, of the workspace the key was made in\n", false},
		{"pasted workspace URL", with(up.URL, aspiretest.DemoKey, "https://app.aspireiq.com/client/"+aspiretest.DemoClientID+"/home"),
			"✓ client id matches the key's workspace: " + aspiretest.DemoClientID + " (reduced from the pasted workspace URL)\n", true},
		// Quiet, not wrong: posts within a year are ✓ with where they are
		// (issue 21); none in a year is ✗.
		{"quiet month", with(quietUp.URL, aspiretest.DemoKey, aspiretest.DemoClientID),
			"✓ posts in the last 30 days: none (" + today.AddDays(-30).String() + "…" + today.String() + "); a quiet workspace: the latest posts are in the last 90 days (", true},
		{"quiet half year", with(oldUp.URL, aspiretest.DemoKey, aspiretest.DemoClientID),
			"; a quiet workspace: the latest posts are in the last 365 days (", true},
		{"none in a year", with(ancientUp.URL, aspiretest.DemoKey, aspiretest.DemoClientID),
			"✗ posts in the last 30 days: none (", false},
		// A renamed field: the new key is unknown (✗); the old, an optional
		// field no longer found, is information, as a dropped one is
		// (absent is not drift, issue 21).
		{"renamed field", with(driftUp.URL, aspiretest.DemoKey, aspiretest.DemoClientID), "/v1/posts data[].metrics.total_media_value (unknown)", false},
		{"dropped field", with(driftUp.URL, aspiretest.DemoKey, aspiretest.DemoClientID), "✓ optional fields not sent: metrics.tmv, post.caption (they read as null; not an error)", false},
		{"unknown host", with("http://aspire-api.invalid", aspiretest.DemoKey, aspiretest.DemoClientID),
			"✗ base URL answers: http://aspire-api.invalid: cannot resolve the host name (DNS): aspire-api.invalid", false},
		{"untrusted certificate", with(tlsUp.URL, aspiretest.DemoKey, aspiretest.DemoClientID),
			"✗ base URL answers: " + tlsUp.URL + ": the TLS handshake failed (certificate or protocol)", false},
		{"silent host", append(with("http://"+silent.Addr().String(), aspiretest.DemoKey, aspiretest.DemoClientID), "-attempt-timeout", "300ms"),
			"✗ base URL answers: http://" + silent.Addr().String() + ": timed out", false},
		{"unreachable host", with("http://127.0.0.1:1", aspiretest.DemoKey, aspiretest.DemoClientID),
			"✗ base URL answers: http://127.0.0.1:1: connection refused: nothing listens there — check the upstream URL, the network and any proxy\n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := runDoctor(t, tc.args...)
			if !found(out, tc.line) {
				t.Fatalf("no line %q in:\n%s", tc.line, out)
			}
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, errChecksFailed)) {
				t.Fatalf("err %v, want ok=%v\n%s", err, tc.ok, out)
			}
		})
	}
	t.Run("the nearest range with posts", func(t *testing.T) {
		t.Parallel()
		out, _ := runDoctor(t, with(ancientUp.URL, aspiretest.DemoKey, aspiretest.DemoClientID)...)
		if !strings.Contains(out, "check the client id, widen the range, drop filters; none in a year, but the last 731 days (") {
			t.Fatalf("%s", out)
		}
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		out, err := runDoctor(t, append(with(driftUp.URL, aspiretest.DemoKey, aspiretest.DemoClientID), "--json")...)
		var rep struct {
			OK     bool
			Checks []struct {
				Name string
				OK   bool
			}
			Drift map[string][]aspire.Drift
		}
		if jerr := json.Unmarshal([]byte(out), &rep); jerr != nil || err == nil || rep.OK || len(rep.Drift["/v1/posts"]) == 0 {
			t.Fatalf("%v %v\n%s", jerr, err, out)
		}
	})
}
