package server

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"seckill/engine"
	"seckill/internal/config"
	"seckill/internal/live/gate"
	"seckill/internal/live/uidset"
	"seckill/internal/store/auditlog"
)

// addedPrefix starts the meta key under which each activity added while
// serving is stored, as the one [[activity]] TOML table that
// config.EncodeActivity writes (its start and end as the instants they
// resolved to):
//
//	activity.added/<id>
//
// A start reads these back (loadAddedActivities) and serves them beside
// the file's, so a round added with PUT /admin/activity survives a restart
// with the same file; the config record written when it was added (reason
// "added") is what the audit reads of it.
const addedPrefix = "activity.added/"

// AddActivity adds the round body describes — one [[activity]] table, as
// in the configuration file — while serving (PUT /admin/activity). It is
// checked by the rules of the file against the activities served now; an
// error wraps config.ErrInvalid or config.ErrSyntax (with the Problems),
// or config.ErrConflict when its id or one of its SKUs is taken. See
// addActivity for the order in which it is made durable.
func (s *Server) AddActivity(body []byte) (*config.Activity, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	act, err := s.runningConfig().ParseActivity(body, time.Now())
	if err != nil {
		return nil, err
	}
	if err := s.addActivity(act); err != nil {
		return nil, err
	}
	return act, nil
}

// runningConfig is the configuration served now: the file's, with the
// activities added since. The caller holds reloadMu, so it stays so.
func (s *Server) runningConfig() *config.Config {
	s.liveMu.RLock()
	defer s.liveMu.RUnlock()
	c := *s.cfg
	c.Activities = slices.Clone(s.cfg.Activities)
	return &c
}

// addActivity makes act durable and serves it, in this order: the activity
// is stored (so that a restart after any later step recovers its shards),
// then its config record (so the audit judges its wins), then its
// configured reservation list's control records; only then do its shard
// loops run and the gate route to them. An id this store has held before
// is a conflict: its old records would mix with the new round's.
func (s *Server) addActivity(act *config.Activity) error {
	history, _, err := auditlog.LoadHistory(s.store)
	if err != nil {
		return fmt.Errorf("server: add activity %s: %w", act.ID, err)
	}
	if len(history[act.ID]) > 0 {
		return fmt.Errorf("%w: %w", config.ErrConflict, config.Problems{{Field: "activity.id",
			Message: fmt.Sprintf("%q was the id of an activity this store has records of; choose another", act.ID)}})
	}
	var resv *uidset.Set
	if act.Reservation == config.ReservationRequired {
		if resv, err = uidset.LoadFile(act.ReservationsFile); err != nil {
			return config.Problems{{Field: "activity.reservations_file", Message: err.Error()}}
		}
	}
	text, err := config.EncodeActivity(act)
	if err != nil {
		return err
	}
	if err := s.store.PutMeta(addedPrefix+act.ID, text); err != nil {
		return fmt.Errorf("server: store activity %s: %w", act.ID, err)
	}
	now := time.Now()
	rec, err := auditlog.NewRecorder(s.store)
	if err != nil {
		return fmt.Errorf("server: audit log: %w", err)
	}
	c := ConfigRecord(act, now)
	c.Reason = auditlog.ReasonAdded
	if _, err := rec.Record(c); err != nil {
		return fmt.Errorf("server: audit log: %w", err)
	}
	built := s.newShards(act)
	if resv != nil {
		shardOf := func(_, sku string) *engine.Shard {
			for _, b := range built {
				if b.loop.Spec().SKU == sku {
					return b.shard
				}
			}
			return nil
		}
		listOf := func(*config.Activity) (*uidset.Set, error) { return resv, nil }
		if _, err := ApplyConfigReservations(s.store, []config.Activity{*act}, listOf, shardOf, now.UnixNano()); err != nil {
			return fmt.Errorf("server: add activity %s: %w", act.ID, err)
		}
	}
	s.blocklist.mu.Lock()
	defer s.blocklist.mu.Unlock()
	shards := make([]*engine.Shard, len(built))
	for i, b := range built {
		shards[i] = b.shard
	}
	if err := s.blocklistOnNewShards(shards); err != nil {
		return fmt.Errorf("server: add activity %s: %w", act.ID, err)
	}
	routes := make([]*gate.Route, len(built))
	s.liveMu.Lock()
	for i, b := range built {
		b.loop.Recovered()
		go b.loop.Run()
		s.loops = append(s.loops, b.loop)
		routes[i] = b.route
	}
	s.cfg.Activities = append(s.cfg.Activities, *act)
	s.liveMu.Unlock()
	s.gate.AddRoutes(routes)
	s.log.Info("activity added while serving", "activity", act.ID, "skus", len(built), "start", act.StartTime, "end", act.EndTime, "config_seq", c.Seq)
	return nil
}

// loadAddedActivities appends to cfg, before the shards are built, the
// activities added while serving in earlier runs: each is checked again
// against the configuration (the file may have changed), and one that no
// longer fits refuses the start, naming every problem. One the file now
// names itself is served as the file says.
func (s *Server) loadAddedActivities() error {
	type stored struct {
		id   string
		text []byte
	}
	var added []stored
	err := s.store.ScanMeta(addedPrefix, func(key string, value []byte) error {
		// value is the iterator's buffer, valid only during the call: copy it.
		added = append(added, stored{strings.TrimPrefix(key, addedPrefix), append([]byte(nil), value...)})
		return nil
	})
	if err != nil {
		return fmt.Errorf("server: read the activities added while serving: %w", err)
	}
	if len(added) == 0 {
		return nil
	}
	running := *s.cfg
	running.Activities = slices.Clone(s.cfg.Activities)
	for _, a := range added {
		if running.Activity(a.id) != nil {
			s.log.Info("the config file names an activity once added while serving; the file's is served", "activity", a.id)
			continue
		}
		act, err := running.ParseActivity(a.text, time.Now())
		if err == nil && act.ID != a.id {
			err = fmt.Errorf("stored as %q but names %q", a.id, act.ID)
		}
		if err != nil {
			return fmt.Errorf("server: activity %s, added while serving and stored under %s%s, does not fit the configuration now (add it to the file as it is, or change the file): %w",
				a.id, addedPrefix, a.id, err)
		}
		running.Activities = append(running.Activities, *act)
		s.log.Info("activity added while serving restored from the store", "activity", act.ID)
	}
	s.cfg = &running
	return nil
}
