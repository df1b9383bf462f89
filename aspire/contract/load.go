package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Error is a refused contract: the file, the line of the key at fault (0
// when the value is the built-in one), the key and why.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("contract")
	if e.File != "" {
		b.WriteString(" " + e.File)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Load reads a contract file. Anything wrong (unreadable, not JSON, an
// unknown or repeated key, a wrong type, an inconsistency) refuses the whole
// file with the line and the reason.
func Load(file string) (*Contract, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, &Error{File: file, Msg: "cannot read the file: " + strings.TrimPrefix(err.Error(), "open "+file+": ")}
	}
	c, err := Parse(b)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			ce.File = file
		}
		return nil, err
	}
	return c, nil
}

// Parse reads a contract from the file format (see Load).
func Parse(data []byte) (*Contract, error) {
	lines, err := walk(data)
	if err != nil {
		return nil, err
	}
	c := Default()
	// null removes an endpoint ("paths": {"projects": null}); decoding
	// would leave the built-in value.
	var raw struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	_ = json.Unmarshal(data, &raw)
	for k, v := range raw.Paths {
		if string(bytes.TrimSpace(v)) == "null" {
			switch k {
			case "projects", "groups", "project", "group":
				raw.Paths[k] = []byte(`""`)
			default:
				return nil, &Error{Line: lines["paths."+k], Key: "paths." + k, Msg: "only projects, groups, project and group may be null (an endpoint the API does not have)"}
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, &Error{Line: lineAt(data, te.Offset), Key: te.Field, Msg: fmt.Sprintf("want %s, got %s", te.Type, te.Value)}
		}
		return nil, &Error{Msg: err.Error()}
	}
	for k, v := range raw.Paths {
		if string(v) == `""` {
			switch k {
			case "projects":
				c.Paths.Projects, c.Paths.Project = "", ""
			case "groups":
				c.Paths.Groups, c.Paths.Group = "", ""
			case "project":
				c.Paths.Project = ""
			case "group":
				c.Paths.Group = ""
			}
		}
	}
	// The built-in contract has no projects or groups endpoints: a file
	// naming only the list path ("paths": {"projects": "/v1/projects"})
	// gets the by-id look-up under it, the one setting for an upstream that
	// has them.
	if _, named := raw.Paths["project"]; !named && c.Paths.Projects != "" && c.Paths.Project == "" {
		c.Paths.Project = c.Paths.Projects + "/{id}"
	}
	if _, named := raw.Paths["group"]; !named && c.Paths.Groups != "" && c.Paths.Group == "" {
		c.Paths.Group = c.Paths.Groups + "/{id}"
	}
	if ps := c.validate(); len(ps) > 0 {
		return nil, &Error{Line: lines[ps[0].key], Key: ps[0].key, Msg: ps[0].msg}
	}
	// The file overlays the built-in contract, whose client_id.name is the
	// query parameter "client_id": a header must be named in the file, not
	// inherit a parameter's name.
	if _, named := lines["client_id.name"]; c.ClientID.In == ClientIDHeader && !named {
		return nil, &Error{Line: lines["client_id.in"], Key: "client_id.name", Msg: `client_id.in header needs the header's name (as "X-Client-Id")`}
	}
	return c, nil
}

// walk checks the document's keys against Contract (unknown and repeated
// keys are errors) and returns the line of every key, by dotted path.
func walk(data []byte) (map[string]int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	lines := map[string]int{}
	var value func(path string, t reflect.Type) error
	value = func(path string, t reflect.Type) error {
		tok, err := dec.Token()
		if err != nil {
			return syntax(data, dec, err)
		}
		d, isDelim := tok.(json.Delim)
		if !isDelim {
			return nil // scalars: their types are checked by the decoding that follows
		}
		switch d {
		case '[':
			for dec.More() {
				if err := value(path+"[]", nil); err != nil {
					return err
				}
			}
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					return syntax(data, dec, err)
				}
				k := tok.(string)
				key := k
				if path != "" {
					key = path + "." + k
				}
				line := lineAt(data, dec.InputOffset())
				if seen[k] {
					return &Error{Line: line, Key: key, Msg: "named twice"}
				}
				seen[k] = true
				lines[key] = line
				var child reflect.Type
				switch {
				case t == nil:
				case t.Kind() == reflect.Map:
					child = t.Elem()
				case t.Kind() == reflect.Struct:
					f, ok := fieldByTag(t, k)
					if !ok {
						return &Error{Line: line, Key: key, Msg: "unknown key (want one of " + strings.Join(tags(t), ", ") + ")"}
					}
					child = f
				}
				if err := value(key, child); err != nil {
					return err
				}
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return syntax(data, dec, err)
		}
		return nil
	}
	if err := value("", reflect.TypeFor[Contract]()); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Line: lineAt(data, dec.InputOffset()), Msg: "text after the contract object"}
	}
	return lines, nil
}

func syntax(data []byte, dec *json.Decoder, err error) error {
	off := dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Line: lineAt(data, int64(len(data))), Msg: "unexpected end of the file"}
	}
	return &Error{Line: lineAt(data, off), Msg: "not valid JSON: " + err.Error()}
}

func fieldByTag(t reflect.Type, name string) (reflect.Type, bool) {
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if tag == name {
			return t.Field(i).Type, true
		}
	}
	return nil, false
}

func tags(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, tag)
	}
	return out
}

func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// DateLayout turns a date_format into a Go time layout, or one of the
// special values "rfc3339", "epoch_seconds", "epoch_millis" unchanged.
func DateLayout(format string) (string, error) {
	switch format {
	case "rfc3339", "epoch_seconds", "epoch_millis":
		return format, nil
	}
	if !strings.Contains(format, "YYYY") || !strings.Contains(format, "MM") || !strings.Contains(format, "DD") {
		return "", fmt.Errorf("date format %q: want a layout with YYYY, MM and DD, or rfc3339, epoch_seconds, epoch_millis", format)
	}
	layout := strings.NewReplacer("YYYY", "2006", "MM", "01", "DD", "02").Replace(format)
	if strings.ContainsAny(strings.NewReplacer("2006", "", "01", "", "02", "").Replace(layout), "0123456789") {
		return "", fmt.Errorf("date format %q: only YYYY, MM, DD and separators are allowed", format)
	}
	return layout, nil
}

// FormatDate writes the day t (midnight UTC) in format (see DateLayout).
func FormatDate(format string, t time.Time) string {
	switch format {
	case "rfc3339":
		return t.UTC().Format(time.RFC3339)
	case "epoch_seconds":
		return strconv.FormatInt(t.Unix(), 10)
	case "epoch_millis":
		return strconv.FormatInt(t.UnixMilli(), 10)
	}
	layout, _ := DateLayout(format)
	return t.UTC().Format(layout)
}

// ParseDate reads a day written in format.
func ParseDate(format, s string) (time.Time, error) {
	switch format {
	case "rfc3339":
		return time.Parse(time.RFC3339, s)
	case "epoch_seconds", "epoch_millis":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid date %q: want %s", s, format)
		}
		if format == "epoch_millis" {
			return time.UnixMilli(n).UTC(), nil
		}
		return time.Unix(n, 0).UTC(), nil
	}
	layout, err := DateLayout(format)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid date %q: want %s", s, format)
	}
	return t, nil
}
