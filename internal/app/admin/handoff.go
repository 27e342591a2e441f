package admin

import (
	"errors"
	"net/http"

	"seckill/internal/handoff/export"
	"seckill/internal/handoff/push"
)

// HandOff is what an engine that hands winners to the mall adds to Engine.
// The store of a running engine is locked to its process, so the nightly
// export and the re-push of a running engine are made through these.
type HandOff interface {
	Exporter() *export.Exporter
	Pusher() *push.Pusher // nil when [export] push_url is empty
}

// handoffRoutes adds, when e is a HandOff:
//
//	POST /admin/export?out=NAME[&format=jsonl|csv][&all=1][&cursor=C]   export winners; answers the manifest
//	GET  /admin/push                                                   delivery state and counters of the live push
//	POST /admin/push?requeue=failed|all                                re-push failed (or all) records
//
// NAME is a bare file name, written in the engine's [export] dir; a path,
// a hidden name or a bad cursor name is refused (400), an existing file too
// (409). C names the cursor an incremental export moves (default
// "nightly"), so an ad-hoc export never takes the nightly file's records.
func handoffRoutes(mux *http.ServeMux, e Engine) {
	h, ok := e.(HandOff)
	if !ok {
		return
	}
	mux.HandleFunc("POST /admin/export", params(e, "out format? all? cursor?", func(w http.ResponseWriter, r *http.Request) { postExport(w, r, h) }))
	mux.HandleFunc("GET /admin/push", params(e, "", func(w http.ResponseWriter, r *http.Request) { getPush(w, h) }))
	mux.HandleFunc("POST /admin/push", params(e, "requeue", func(w http.ResponseWriter, r *http.Request) { postPush(w, r, h) }))
}

func postExport(w http.ResponseWriter, r *http.Request, h HandOff) {
	q := r.URL.Query()
	out := q.Get("out")
	m, err := h.Exporter().Run(export.Options{Out: out, Format: export.FormatFor(out, q.Get("format")), All: q.Get("all") == "1", Cursor: q.Get("cursor")})
	switch {
	case errors.Is(err, export.ErrFormat), errors.Is(err, export.ErrName), errors.Is(err, export.ErrCursorName):
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
	case errors.Is(err, export.ErrExists):
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error()})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
	default:
		writeJSON(w, http.StatusOK, m)
	}
}

func getPush(w http.ResponseWriter, h HandOff) {
	p := h.Pusher()
	if p == nil {
		writeJSON(w, http.StatusOK, map[string]any{"enabled": false})
		return
	}
	st, err := p.Status()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	c := p.Counters()
	last := ""
	if s := c.LastError.Load(); s != nil {
		last = *s
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"enabled": true, "status": st,
		"posts": c.Posts.Load(), "failed_posts": c.Failures.Load(), "delivered_records": c.Delivered.Load(),
		"gave_up_records": c.GaveUp.Load(), "last_error": last,
	})
}

func postPush(w http.ResponseWriter, r *http.Request, h HandOff) {
	p := h.Pusher()
	if p == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "the live push is off ([export] push_url is empty); stop the engine and use `seckill export -push URL`"})
		return
	}
	scope := r.URL.Query().Get("requeue")
	n, err := p.Requeue(scope)
	switch {
	case errors.Is(err, push.ErrOptions):
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"requeue": scope, "records": n})
	}
}
