package admin

import (
	"fmt"
	"net/http"
)

// ConfigRecorder is what an engine that keeps an audit log adds to Engine:
// after each change the admin API makes to an activity, the engine records
// the configuration now in force (package auditlog), so that `seckill
// replay` can check every win against the rules it was decided under.
type ConfigRecorder interface {
	RecordConfig(activity, reason string) error
}

// recordChange records activity's configuration after a change with the
// given reason, when e keeps an audit log. On failure it answers 500 —
// the change has taken effect, but the audit log does not show it, which
// the operator must know — and reports false.
func recordChange(w http.ResponseWriter, e Engine, activity, reason string) bool {
	rec, ok := e.(ConfigRecorder)
	if !ok {
		return true
	}
	if err := rec.RecordConfig(activity, reason); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{
			"error": fmt.Sprintf("the change took effect but could not be recorded in the audit log: %v", err),
		})
		return false
	}
	return true
}
