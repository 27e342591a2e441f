package server

import (
	"context"

	"seckill/internal/app/observe"
)

// startWatcher builds what the operator is shown — /metrics, the dashboard,
// the per-second log summary — over the gate, the front end and the push,
// and samples it once a second until ctx ends.
func (s *Server) startWatcher() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopWatcher = cancel
	src := &observe.Source{Gate: s.gate, Conns: s.frontConns, Build: observe.ReadBuild(), Labels: s.labels}
	if p := s.handoff.pusher; p != nil {
		src.PushBacklog = func() (uint64, error) {
			st, err := p.Status()
			return st.Pending, err
		}
	}
	s.watcher = observe.NewWatcher(src, s.log)
	go s.watcher.Run(ctx)
}

// labels names the activities and items served now, for the dashboard.
func (s *Server) labels() observe.Labels {
	s.liveMu.RLock()
	defer s.liveMu.RUnlock()
	l := observe.Labels{Titles: map[string]string{}, Names: map[string]string{}}
	for i := range s.cfg.Activities {
		act := &s.cfg.Activities[i]
		l.Titles[act.ID] = act.Title
		for j := range act.Items {
			l.Names[act.ID+"/"+act.Items[j].SKU] = act.Items[j].Name
		}
	}
	return l
}

// Watcher serves /metrics and the dashboard (admin.Engine).
func (s *Server) Watcher() *observe.Watcher { return s.watcher }

// frontConns reads the front end's connection counters.
func (s *Server) frontConns() (open, refused int64) {
	if f, ok := s.front.(interface{ Conns() (int64, int64) }); ok {
		return f.Conns()
	}
	return 0, 0
}
