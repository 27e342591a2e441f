package admin

import (
	"errors"
	"io"
	"net/http"

	"seckill/internal/config"
)

// maxActivityBytes bounds the body of PUT /admin/activity: one activity of
// a few thousand items is well under it, and the whole body is parsed in
// memory.
const maxActivityBytes = 1 << 20

// ActivityAdder is what an engine that adds rounds while serving adds to
// Engine. AddActivity checks body (one [[activity]] TOML table) by the
// configuration file's rules and returns once the round is durable and
// served; its errors wrap config.ErrInvalid or config.ErrSyntax (a
// config.Problems lists each field) or config.ErrConflict.
type ActivityAdder interface {
	AddActivity(body []byte) (*config.Activity, error)
}

// activityRoutes adds, when e is an ActivityAdder:
//
//	PUT /admin/activity    body: one [[activity]] as in the config file; adds the round while serving
func activityRoutes(mux *http.ServeMux, e Engine) {
	a, ok := e.(ActivityAdder)
	if !ok {
		return
	}
	mux.HandleFunc("PUT /admin/activity", params(e, "", func(w http.ResponseWriter, r *http.Request) { putActivity(w, r, a) }))
}

type problemJSON struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func putActivity(w http.ResponseWriter, r *http.Request, a ActivityAdder) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxActivityBytes))
	if err != nil {
		errorf(w, http.StatusRequestEntityTooLarge, "activity body: %v (at most %d bytes)", err, maxActivityBytes)
		return
	}
	act, err := a.AddActivity(body)
	if err != nil {
		status := http.StatusServiceUnavailable
		switch {
		case errors.Is(err, config.ErrConflict):
			status = http.StatusConflict
		case errors.Is(err, config.ErrInvalid), errors.Is(err, config.ErrSyntax):
			status = http.StatusBadRequest
		}
		answer := map[string]any{"error": err.Error()}
		var ps config.Problems
		if errors.As(err, &ps) {
			list := make([]problemJSON, len(ps))
			for i, p := range ps {
				list[i] = problemJSON{p.Field, p.Message}
			}
			answer["problems"] = list
		}
		writeJSON(w, status, answer)
		return
	}
	skus := make([]string, len(act.Items))
	for i := range act.Items {
		skus[i] = act.Items[i].SKU
	}
	writeJSON(w, http.StatusOK, map[string]any{"activity": act.ID, "skus": skus,
		"start_unix": act.StartTime.Unix(), "end_unix": act.EndTime.Unix()})
}
