package observe

import (
	"embed"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

//go:embed web
var webFiles embed.FS

// Pages are the operator's views, by admin mux pattern (each served for
// GET only):
//
//	/metrics            Prometheus text format: the engine's metrics, Go's and the process's
//	/{$}                the live dashboard (HTML, script and style embedded, no CDN)
//	/assets/            its script and style
//	/admin/dashboard    what the dashboard shows, as JSON, polled every second
func Pages(w *Watcher) map[string]http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&collector{src: w.src},
	)
	web, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return map[string]http.Handler{
		"/metrics": promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			ErrorLog:      slog.NewLogLogger(w.log.Handler(), slog.LevelError),
			ErrorHandling: promhttp.ContinueOnError,
		}),
		"/{$}": http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Cache-Control", "no-store")
			http.ServeFileFS(rw, r, web, "index.html")
		}),
		"/assets/": http.StripPrefix("/assets/", http.FileServerFS(web)),
		"/admin/dashboard": http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			serveDashboard(rw, w.src, w)
		}),
	}
}
