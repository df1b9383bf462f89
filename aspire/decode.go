package aspire

import (
	"encoding/json"
	"reflect"

	segjson "github.com/segmentio/encoding/json"
)

// decodeRecords decodes record pages and records, already rewritten by the
// wire format into the records' own JSON (see wireFormat), into the record
// types. segmentio/encoding's drop-in for encoding/json decodes a page of
// posts about four times faster (docs/decisions.md, "decoding upstream
// pages"). Its default flags copy strings: the input is a pooled buffer
// reused once the call returns, and the records outlive it in the cache.
//
// What it refuses, encoding/json decides afresh: refusals and their messages
// stay encoding/json's, and so does the one input it is known to refuse that
// encoding/json takes (a comma before a time's fraction of a second: it
// parses time.Time itself). FuzzDecodeMatchesEncodingJSON holds the two
// equal on everything else. Error bodies, contracts and drift checks stay on
// encoding/json.
func decodeRecords(b []byte, v any) error {
	if segjson.Unmarshal(b, v) == nil {
		return nil
	}
	// Drop what the refused attempt filled in: encoding/json decodes into
	// existing maps and structs rather than replacing them.
	reflect.ValueOf(v).Elem().SetZero()
	return json.Unmarshal(b, v)
}
