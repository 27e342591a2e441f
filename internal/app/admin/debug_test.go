package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

func TestMemstatsAndProfiler(t *testing.T) {
	mux := http.NewServeMux()
	debugRoutes(mux)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/memstats?gc=1", nil))
	var m memStats
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || rec.Code != 200 {
		t.Fatalf("memstats: %d %q: %v", rec.Code, rec.Body, err)
	}
	if m.HeapInuse == 0 || m.NumGC == 0 || m.Goroutines == 0 || m.TotalAlloc < m.HeapAlloc {
		t.Fatalf("implausible memstats after a forced GC: %+v", m)
	}
	if runtime.GOOS == "linux" && (m.VmRSSBytes <= 0 || m.VmHWMBytes < m.VmRSSBytes) {
		t.Fatalf("RSS %d, peak %d: /proc/self/status not read", m.VmRSSBytes, m.VmHWMBytes)
	}

	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "heap") {
		t.Fatalf("pprof index: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("POST", "/admin/memstats", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST memstats: %d, want 405", rec.Code)
	}
}
