package admin

import (
	"context"
	"net/http"
	"strconv"
)

// setStock answers POST /admin/stock?activity=A&sku=S&stock=N: the SKU's
// stock becomes N, its quota N × quota_percent / 100, decided by its shard
// in sequence with the attempts. A stock whose quota is below the
// qualifications already issued is refused (400, nothing changed).
func setStock(w http.ResponseWriter, r *http.Request, e Engine) {
	q := r.URL.Query()
	act, sku := q.Get("activity"), q.Get("sku")
	stock, err := strconv.ParseUint(q.Get("stock"), 10, 64)
	if err != nil {
		errorf(w, http.StatusBadRequest, "parameter \"stock\": %q is not a whole number of units", q.Get("stock"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	out, err := e.SetStock(ctx, act, sku, stock)
	if err != nil {
		controlError(w, out, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"activity": act, "sku": sku, "stock": stock, "skus": out.SKUs, "applied": out.Applied, "unchanged": out.Unchanged})
}

// endNow answers POST /admin/end?activity=A: the round ends on every SKU of
// the activity, each at its place in its shard's sequence; every buy after
// it answers ended. There is no undo.
func endNow(w http.ResponseWriter, r *http.Request, e Engine) {
	act := r.URL.Query().Get("activity")
	ctx, cancel := context.WithTimeout(r.Context(), controlTimeout)
	defer cancel()
	out, err := e.EndNow(ctx, act)
	if err != nil {
		controlError(w, out, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"activity": act, "ended": true, "skus": out.SKUs, "applied": out.Applied, "unchanged": out.Unchanged})
}
