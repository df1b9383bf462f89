package contract_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
)

func TestDefaultRoundTrips(t *testing.T) {
	d := contract.Default()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	c, err := contract.Parse(d.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsDefault() {
		t.Fatalf("the printed built-in contract reads back different:\n%s", c.Marshal())
	}
	// An empty object is the built-in contract: a file names only what differs.
	if c, err := contract.Parse([]byte(`{}`)); err != nil || !c.IsDefault() {
		t.Fatalf("{}: %v", err)
	}
}

func TestOverlay(t *testing.T) {
	c, err := contract.Parse([]byte(`{"auth": {"in": "header", "name": "X-API-Key"}, "fields": {"post": {"posted_at": "postedAt"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Auth.Name != "X-API-Key" || c.Field("post", "posted_at") != "postedAt" || c.Field("post", "url") != "url" || c.Paths.Posts != "/v1/posts" {
		t.Fatalf("overlay: %+v", c)
	}
}

// TestClientIDInAHeader: a header other than the key's is a place for the
// client id; with the key in a query parameter even Authorization is free.
func TestClientIDInAHeader(t *testing.T) {
	for _, file := range []string{
		`{"client_id": {"in": "header", "name": "X-Client-Id"}}`,
		`{"auth": {"in": "header", "name": "X-API-Key"}, "client_id": {"in": "header", "name": "X-Workspace"}}`,
		`{"auth": {"in": "query", "name": "token"}, "client_id": {"in": "header", "name": "Authorization"}}`,
	} {
		c, err := contract.Parse([]byte(file))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if c.ClientID.In != contract.ClientIDHeader || c.Paths.Posts != "/v1/posts" {
			t.Fatalf("%s: %+v", file, c.ClientID)
		}
		if back, err := contract.Parse(c.Marshal()); err != nil || !bytes.Equal(back.Marshal(), c.Marshal()) {
			t.Fatalf("%s does not round-trip: %v", file, err)
		}
	}
}

func TestRefusedWithTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
	}{
		{"unknown key", "{\n  \"paths\": {},\n  \"bogus\": 1\n}", ":3: bogus: unknown key"},
		{"unknown nested key", "{\n  \"paths\": {\n    \"postz\": \"/x\"\n  }\n}", ":3: paths.postz: unknown key"},
		{"key named twice", "{\n  \"date_format\": \"YYYY-MM-DD\",\n  \"date_format\": \"YYYY-MM-DD\"\n}", ":3: date_format: named twice"},
		{"field named twice", "{\n  \"fields\": {\"post\": {\n    \"url\": \"link\",\n    \"caption\": \"link\"}}\n}", "fields.post.url: wire name \"link\" is named twice (also fields.post.caption)"},
		{"path without a slash", "{\n  \"paths\": {\n    \"posts\": \"v1/posts\"\n  }\n}", ":3: paths.posts: path \"v1/posts\" must start with a slash"},
		{"by-id path without id", "{\"paths\": {\"post\": \"/v1/post\"}}", "paths.post: path \"/v1/post\" must hold {id} once"},
		{"unknown record field", "{\n\"fields\": {\"post\": {\n\"colour\": \"c\"}}}", ":3: fields.post.colour: unknown field"},
		{"unknown param", "{\"params\": {\"page\": \"p\"}}", "params.page: unknown parameter"},
		{"param twice", "{\"params\": {\"start_date\": \"from\", \"end_date\": \"from\"}}", "is also params.end_date"},
		{"wrong type", "{\n\"ids\": {\"max\": \"ten\"}}", ":2: ids.max: want int, got string"},
		{"bad auth", "{\"auth\": {\"in\": \"cookie\"}}", "auth.in: want bearer, authorization, header or query"},
		{"header without name", "{\"auth\": {\"in\": \"header\"}}", "auth.name: auth.in \"header\" needs a header or parameter name"},
		{"client id in path, paths without it", "{\"client_id\": {\"in\": \"path\"}}", "paths.posts: path \"/v1/posts\" must hold {client_id} once"},
		{"bad client id place", "{\"client_id\": {\"in\": \"cookie\"}}", "client_id.in: want query, path or header, got \"cookie\""},
		{"client id header without name", "{\n\"client_id\": {\n\"in\": \"header\"}}", ":3: client_id.name: client_id.in header needs the header's name"},
		{"client id header not a token", "{\"client_id\": {\"in\": \"header\", \"name\": \"X Client\"}}", "client_id.name: client_id.in header needs a header name, got \"X Client\""},
		{"client id in the bearer's header", "{\"client_id\": {\"in\": \"header\", \"name\": \"authorization\"}}", "client_id.name: header \"authorization\" is where the key goes (auth.in bearer)"},
		{"client id in the key's header", "{\"auth\": {\"in\": \"header\", \"name\": \"X-API-Key\"}, \"client_id\": {\"in\": \"header\", \"name\": \"x-api-key\"}}", "client_id.name: header \"x-api-key\" is where the key goes (auth.in header)"},
		{"client id in a header the client sets", "{\"client_id\": {\"in\": \"header\", \"name\": \"User-Agent\"}}", "client_id.name: header \"User-Agent\" is set by the client on every call"},
		{"client id in a header dropped on the way", "{\"client_id\": {\"in\": \"header\", \"name\": \"trailer\"}}", "client_id.name: header \"trailer\" does not reach the API as sent"},
		{"client id in a hop-by-hop header", "{\"client_id\": {\"in\": \"header\", \"name\": \"Upgrade\"}}", "client_id.name: header \"Upgrade\" does not reach the API as sent"},
		{"client id header, paths with it", "{\"client_id\": {\"in\": \"header\", \"name\": \"X-Client-Id\"}, \"paths\": {\"posts\": \"/c/{client_id}/posts\"}}", "paths.posts: path \"/c/{client_id}/posts\" holds {client_id} but client_id.in is \"header\" (only path puts it in the path)"},
		{"bad date format", "{\"date_format\": \"DD.MM.YY\"}", "date_format"},
		{"totals in a bare array", "{\"list\": {\"rows\": \"\", \"total\": \"n\", \"has_more\": \"\"}}", "list.rows: a bare array"},
		{"enum spelled twice", "{\"enums\": {\"network\": {\"instagram\": \"IG\", \"tiktok\": \"IG\"}}}", "spelling \"IG\" is named twice"},
		{"not JSON", "{\n\"paths\": ,\n}", ":2: not valid JSON"},
		{"truncated", "{\"paths\": {", "unexpected end"},
		{"trailing text", "{} {}", "text after the contract"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "c.json")
			if err := os.WriteFile(file, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := contract.Load(file)
			if err == nil || c != nil {
				t.Fatalf("accepted: %v", c)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "contract "+file) {
				t.Fatalf("error %q, want it to name the file and hold %q", err, tc.want)
			}
		})
	}
	if _, err := contract.Load(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "cannot read the file") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestDates(t *testing.T) {
	d, _ := contract.ParseDate("YYYY-MM-DD", "2026-10-31")
	for format, want := range map[string]string{"YYYY-MM-DD": "2026-10-31", "MM/DD/YYYY": "10/31/2026", "rfc3339": "2026-10-31T00:00:00Z",
		"epoch_seconds": "1793404800", "epoch_millis": "1793404800000"} {
		got := contract.FormatDate(format, d)
		back, err := contract.ParseDate(format, got)
		if got != want || err != nil || !back.Equal(d) {
			t.Errorf("%s: %s (back %v, %v), want %s", format, got, back, err, want)
		}
	}
}
