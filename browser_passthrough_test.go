package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
	"github.com/aspire-graphql/aspire-graphql/server"
)

// TestPassthroughPlaygroundInBrowser opens the playground of a passthrough
// server (over the simulator, real sockets) as a person with an Aspire key
// would, and checks what they see on load: a notice naming the headers to
// fill, the Headers tab open with the placeholders, and nothing sent
// upstream; then, once the key and client id are typed in, the Docs listing
// Query without pressing re-fetch, after exactly 1 upstream call, made with
// the real key. No placeholder ever reaches the simulator.
func TestPassthroughPlaygroundInBrowser(t *testing.T) {
	chromium := browser(t)
	sim := aspiretest.New(aspiretest.WithSizes(aspiretest.SmallSizes))
	var mu sync.Mutex
	var auths []string // every Authorization the simulator received
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization")+" "+r.URL.Query().Get("client_id"))
		mu.Unlock()
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(up.Close)
	r := start(t, []string{"-upstream-url", up.URL}, nil)
	ctx, foreignRequests := openBrowser(t, chromium, r.base)
	fail := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v\nserver output:\n%s", step, err, r.out)
		}
	}
	poll := func(step, js string) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(30*time.Second)))
		fail(step, err)
	}
	text := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		fail(js, err)
		return strings.ReplaceAll(s, "\u00a0", " ")
	}

	fail("open", chromedp.Do(ctx, chromedp.Navigate(r.base+"/"), chromedp.WaitVisible(chromedp.CSS(`.graphiql-query-editor .view-lines`))))
	poll("default query", `document.querySelector('.graphiql-query-editor .view-lines').innerText.includes('LastMonthPosts')`)

	// The notice, on load.
	notice := text(`document.querySelector('[role=note]')?.innerText ?? ''`)
	for _, want := range []string{"your own Aspire key", "Headers", "Authorization", server.PlaceholderKey, server.HeaderClientID, server.PlaceholderClientID, "Docs"} {
		if !strings.Contains(notice, want) {
			t.Fatalf("the notice lacks %q: %q", want, notice)
		}
	}
	// The Headers tab is open, pre-filled with the placeholders.
	const headersEditor = `document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .view-lines')`
	poll("headers tab", `document.querySelector('button[data-name="headers"]')?.classList.contains('active') && (`+headersEditor+`?.innerText ?? '').replace(/\u00a0/g, ' ').includes('your Aspire API key')`)
	headers := text(headersEditor + `.innerText`)
	for _, want := range []string{`"Authorization": "Bearer ` + server.PlaceholderKey + `"`, `"` + server.HeaderClientID + `": "` + server.PlaceholderClientID + `"`} {
		if !strings.Contains(headers, want) {
			t.Fatalf("the Headers tab lacks %s: %q", want, headers)
		}
	}
	// The start-up schema fetch, with the placeholders, was refused by the
	// server as "fill in": the Docs say so, and nothing went upstream.
	fail("docs", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`))))
	poll("schema refused", `document.querySelector('.graphiql-doc-explorer-error')?.innerText.includes('Error fetching schema')`)
	if n := len(sim.Requests()); n != 0 {
		t.Fatalf("the placeholders cost %d upstream requests, want 0", n)
	}

	// Typed in: the Docs load with no re-fetch pressed.
	focus := text(`(() => {
		const el = document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .native-edit-context, .graphiql-editor-tool .graphiql-editor:not(.hidden) textarea');
		el.focus();
		return String(document.activeElement === el);
	})()`)
	if focus != "true" {
		t.Fatal("the headers editor did not take the focus")
	}
	fail("select", chromedp.Do(ctx, chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent(kb.Delete)))
	_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{
		Text: `{"Authorization": "Bearer ` + aspiretest.DemoKey + `", "` + server.HeaderClientID + `": "` + aspiretest.DemoClientID + `"}`})
	fail("type", err)
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`(() => {
		const names = [...document.querySelectorAll('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name')].map(a => a.innerText);
		return ['Query', 'Post', 'Member'].every(n => names.includes(n));
	})()`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("the Docs do not list Query after the key was filled in: %v\nheaders: %q\ndocs: %q\nserver output:\n%s", err,
			text(headersEditor+`.innerText`), text(`document.querySelector('.graphiql-doc-explorer')?.innerText ?? ''`), r.out)
	}

	got := sim.Requests()
	if len(got) != 1 || got[0].Key != "demo" || got[0].Endpoint != "/v1/posts" || got[0].Query["limit"][0] != "1" {
		t.Fatalf("loading the schema made %d upstream requests, want 1 (the key's check, with the demo key: one post of today, the built-in contract having no /v1/projects): %+v", len(got), got)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, a := range auths {
		if strings.Contains(a, "<") || strings.Contains(a, "your") || !strings.HasPrefix(a, "Bearer "+aspiretest.DemoKey+" ") {
			t.Fatalf("the simulator received %q", a)
		}
	}
	if foreign := foreignRequests(); len(foreign) > 0 {
		t.Fatalf("the playground asked for resources off this server: %v", foreign)
	}
}
