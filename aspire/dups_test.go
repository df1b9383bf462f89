package aspire

import (
	"slices"
	"testing"
)

// TestSeenIDsWindowIsBounded: a walk remembers the ids of its latest n rows
// only (bounded memory), drops a repeat within them and lets one farther
// back pass; the page handed in is not changed (it may be cached).
func TestSeenIDsWindowIsBounded(t *testing.T) {
	s := newSeenIDs(3)
	page := func(ids ...string) *Page[Project] {
		p := &Page[Project]{Rows: len(ids)}
		for _, id := range ids {
			p.Items = append(p.Items, Project{ID: id})
		}
		return p
	}
	idsOf := func(p *Page[Project]) (out []string) {
		for _, r := range p.Items {
			out = append(out, r.ID)
		}
		return out
	}
	steps := []struct {
		in, want []string
	}{
		{[]string{"a", "b"}, []string{"a", "b"}},
		{[]string{"b", "c", "d"}, []string{"c", "d"}}, // b repeats; window now b c d
		{[]string{"a", "d", "e"}, []string{"a", "e"}}, // a is out of the window: passes
	}
	for i, st := range steps {
		in := page(st.in...)
		got, dropped := filterPage(s, in)
		if !slices.Equal(idsOf(got), st.want) || dropped != len(st.in)-len(st.want) || got.Rows != len(st.in) || !slices.Equal(idsOf(in), st.in) {
			t.Fatalf("step %d: %v → %v (dropped %d, rows %d), want %v; input now %v", i, st.in, idsOf(got), dropped, got.Rows, st.want, idsOf(in))
		}
	}
	if len(s.in) != 3 || len(s.ring) != 3 {
		t.Fatalf("window holds %d ids (%d in ring), want 3", len(s.in), len(s.ring))
	}
	if got := dropRepeats([]Project{{ID: "x"}, {ID: "y"}, {ID: "x"}, {ID: "y"}, {ID: "z"}}); len(got) != 3 || got[2].ID != "z" {
		t.Fatalf("dropRepeats = %v", got)
	}
}
