package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestPlaygroundInBrowser opens the demo server's playground in headless
// Chromium, offline, runs the pre-filled query and reads the result pane.
// CI sets ASPIRE_GRAPHQL_REQUIRE_BROWSER=1 so a missing browser fails there.
func TestPlaygroundInBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("ASPIRE_GRAPHQL_REQUIRE_BROWSER") == "1" {
			t.Fatal("chromium is not installed (apt-get install -y chromium)")
		}
		t.Skip("chromium is not installed")
	}
	r := start(t, nil, nil)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		// No name resolves: anything but 127.0.0.1 would fail, proving the page needs no internet.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	var mu sync.Mutex
	var foreign []string
	if err := chromedp.Do(ctx); err != nil { // start the browser
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			u := e.Request.URL
			if !strings.HasPrefix(u, r.base) && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
				mu.Lock()
				foreign = append(foreign, u)
				mu.Unlock()
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	editor := chromedp.CSS(`.graphiql-query-editor .view-lines`)
	result := chromedp.CSS(`section.result-window`)
	fail := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v\nserver output:\n%s", step, err, r.out)
		}
	}
	fail("open", chromedp.Do(ctx, chromedp.Navigate(r.base+"/"), chromedp.WaitVisible(editor)))
	// Monaco loads lazily: wait for the editor to show the default query.
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('.graphiql-query-editor .view-lines').innerText.includes('LastMonthPosts')`,
		chromedp.WithPollingTimeout(30*time.Second)))
	fail("default query", err)
	before, err := chromedp.Run(ctx, chromedp.Text(result))
	fail("result pane", err)
	fail("click", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button.graphiql-execute-button`))))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('section.result-window').innerText.includes('totalCount')`,
		chromedp.WithPollingTimeout(30*time.Second)))
	fail("result", err)
	after, err := chromedp.Run(ctx, chromedp.Text(result))
	fail("result text", err)
	if strings.Contains(before, "totalCount") {
		t.Fatalf("the result pane had data before the click: %q", before)
	}
	norm := strings.ReplaceAll(after, "\u00a0", " ")
	// Monaco renders only the visible lines: the top of the answer.
	for _, want := range []string{`"data"`, `"posts"`, `"totalCount"`, `"nodes"`, `"metrics"`} {
		if !strings.Contains(norm, want) {
			t.Fatalf("result pane lacks %s: %q", want, norm)
		}
	}
	if strings.Contains(norm, `"errors"`) {
		t.Fatalf("the query failed in the playground: %q", norm)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(foreign) > 0 {
		t.Fatalf("the playground asked for resources off this server: %v", foreign)
	}
}
