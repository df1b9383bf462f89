package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/codes"
	"github.com/aspire-graphql/aspire-graphql/export"
	"github.com/aspire-graphql/aspire-graphql/graph"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// exportHandler serves GET /export/{posts,members,performance}.{csv,ndjson}: a whole
// table in one download for BI tools (see docs/bi.md). A failure before
// the first row is an ordinary error answer; after it, an NDJSON stream
// ends with an {"error": …} line and a CSV download is cut short, so no
// client mistakes a partial table for a whole one.
func exportHandler(o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entity, format, _ := strings.Cut(r.PathValue("file"), ".")
		f := export.Format(format)
		if (entity != "posts" && entity != "members" && entity != "performance") || (f != export.CSV && f != export.NDJSON) {
			writeExportError(w, http.StatusNotFound, graph.CodeNotFound, "exports are /export/{posts,members,performance}.{csv,ndjson}")
			return
		}
		// Downloads outlast the server's write timeout, which suits queries.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(o.Config.ExportTimeout + 10*time.Second))
		v := r.URL.Query()
		ctx := r.Context()
		log := zerolog.Ctx(ctx)
		tenant := loaders.For(ctx).Tenant()
		job, perr := export.NewJob(entity, v)
		if perr != nil {
			writeExportError(w, http.StatusBadRequest, graph.CodeBadUserInput, perr.Error())
			return
		}
		started := false
		opts := export.Options{Format: f, BOM: v.Get("bom") == "1", FormulaGuard: o.Config.CSVFormulaGuard}
		opts.Started = func(total int) {
			h := w.Header()
			if f == export.CSV {
				h.Set("Content-Type", "text/csv; charset=utf-8")
			} else {
				h.Set("Content-Type", "application/x-ndjson")
			}
			h.Set("Content-Disposition", `attachment; filename="`+export.FileName(entity, job.Range, f)+`"`)
			if total >= 0 { // -1: the upstream sends no total
				h.Set("X-Total-Count", strconv.Itoa(total))
			}
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		start := time.Now()
		rows, err := job.Run(ctx, tenant, w, opts)
		if err == nil {
			log.Info().Str("export", entity+"."+format).Int("rows", rows).Float64("took_ms", float64(time.Since(start).Microseconds())/1000).Msg("export finished") // units in the name, as the access line's duration_ms
			return
		}
		log.Warn().Str("export", entity+"."+format).Int("rows_sent", rows).Str("code", string(aspire.CodeOf(err))).Msg("export failed")
		switch {
		case !started:
			status, code := exportStatus(err)
			if status == http.StatusTooManyRequests {
				var e *aspire.Error
				if asError(err, &e) && e.RetryAfter > 0 {
					w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.999)))
				}
			}
			writeExportError(w, status, code, errorMessage(err))
		case f == export.NDJSON:
			_, _ = w.Write(export.ErrorLine(err))
		default:
			// Abort the chunked response: the client sees a failed download.
			panic(http.ErrAbortHandler)
		}
	})
}

// exportStatus maps an upstream failure to its code and that code's HTTP
// status (package codes).
func exportStatus(err error) (int, string) {
	code := codes.Of(err)
	return codes.Status(code), code
}

func errorMessage(err error) string {
	var e *aspire.Error
	if asError(err, &e) {
		return e.Message
	}
	return "the export failed"
}

func writeExportError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := jsonMarshal(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	_, _ = w.Write(append(b, '\n'))
}
