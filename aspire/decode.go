package aspire

import (
	"encoding/json"
	"reflect"

	gojson "github.com/goccy/go-json"
)

// decodeRecords decodes record pages and records, already rewritten by the
// wire format into the records' own JSON (see wireFormat), into the record
// types. goccy/go-json decodes a page of posts about four times faster than
// encoding/json (docs/decisions.md, "decoding upstream pages"); it copies
// strings (the input is a pooled buffer reused once the call returns, and
// the records outlive it in the cache) and parses times with time.Time's
// own UnmarshalJSON.
//
// What it refuses, encoding/json decides afresh, so refusals, their
// messages and the value left beside a type error stay encoding/json's.
// FuzzDecodeMatchesEncodingJSON holds the two equal on everything else.
// Error bodies, contracts and drift checks stay on encoding/json.
func decodeRecords(b []byte, v any) error {
	if gojson.Unmarshal(b, v) == nil {
		return nil
	}
	// Drop what the refused attempt filled in: encoding/json decodes into
	// existing maps and structs rather than replacing them.
	reflect.ValueOf(v).Elem().SetZero()
	return json.Unmarshal(b, v)
}
