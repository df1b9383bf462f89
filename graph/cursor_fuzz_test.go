package graph

import "testing"

// FuzzCursor: any string as `after` decodes to an offset or a BAD_USER_INPUT
// error, never a panic; a cursor we made decodes to its index.
func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor("0123456789ab", 41), "0123456789ab")
	f.Add("YzE6MDEyMzQ1Njc4OWFiOjQx", "0123456789ab")
	f.Add("", "")
	f.Add("c1::-1", "x")
	f.Fuzz(func(t *testing.T, s, fp string) {
		i, err := decodeCursor(s, fp)
		if err == nil && (i < 0 || encodeCursor(fp, i) != s) {
			t.Fatalf("%q decoded to %d, which encodes to %q", s, i, encodeCursor(fp, i))
		}
		if err != nil && err.Error() == "" {
			t.Fatal("an error without a message")
		}
		if n := len(fp) % 1000; n >= 0 {
			c := encodeCursor(fp, n)
			if j, err := decodeCursor(c, fp); len(c) <= 64 && (err != nil || j != n) {
				t.Fatalf("round trip of %d: %d, %v", n, j, err)
			}
		}
	})
}
