package server

import (
	"encoding/json"
	"fmt"
	"io"
)

// MaxLogLine bounds every log line (see LogWriter).
const MaxLogLine = 4096

// LogWriter bounds the lines of a zerolog logger writing to w: zerolog
// writes each event in one Write, as one JSON line. A line over MaxLogLine
// bytes keeps its short fields (level, time, request id, message) and has
// every long string replaced by its length, so nothing a caller sent can
// fill the log, whatever the code that logged it.
func LogWriter(w io.Writer) io.Writer { return logWriter{w} }

type logWriter struct{ w io.Writer }

func (l logWriter) Write(p []byte) (int, error) {
	if len(p) <= MaxLogLine {
		return l.w.Write(p)
	}
	var fields map[string]any
	if err := json.Unmarshal(p, &fields); err != nil {
		fields = map[string]any{"level": "error", "message": "a log line that was not JSON"}
	}
	for k, v := range fields {
		switch v := v.(type) {
		case string:
			if len(v) > 200 {
				fields[k] = fmt.Sprintf("[%d bytes withheld]", len(v))
			}
		case map[string]any, []any:
			if b, _ := json.Marshal(v); len(b) > 200 {
				fields[k] = fmt.Sprintf("[%d bytes withheld]", len(b))
			}
		}
	}
	fields["truncated_from"] = len(p)
	b, _ := json.Marshal(fields)
	if len(b) > MaxLogLine { // many short fields: keep the essentials
		b, _ = json.Marshal(map[string]any{"level": fields["level"], "request_id": fields["request_id"], "truncated_from": len(p)})
	}
	if _, err := l.w.Write(append(b, '\n')); err != nil {
		return 0, err
	}
	return len(p), nil
}
