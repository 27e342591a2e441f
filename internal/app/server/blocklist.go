package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"seckill/engine"
	"seckill/internal/app/admin"
	"seckill/internal/config"
	"seckill/internal/store/auditlog"
)

// The blocklist is global: one list for every activity. Each change is a
// control record (engine.ControlBlocklist) on every shard, decided in
// sequence with that shard's attempts, so the shard itself refuses the
// listed buyers from that point of its log on and recovery and the audit
// know, win by win, which list was in force. The list is stored once,
// content-addressed, by package auditlog before any record names it; the
// gate keeps a copy for its cheap pre-filter.
//
// Which list should be in force is kept apart, under the store's metadata
// key blocklistKey: the list last set, and the config file's [blocklist]
// as it was then. A restart compares the file with the latter: an edited
// file's list wins, an unchanged file leaves the list the admin API set.
// The shards' records then follow it: a shard whose list in force differs
// (a SKU added to the configuration, a change a failed store cut short)
// records it before serving.
const blocklistKey = "blocklist"

// storedBlocklist is what the store keeps under blocklistKey.
type storedBlocklist struct {
	UIDs      []uint64     `json:"uids"`
	Addrs     []netip.Addr `json:"addrs"`
	FileUIDs  []uint64     `json:"file_uids"`
	FileAddrs []netip.Addr `json:"file_addrs"`
}

// blocklistState serializes changes of the blocklist and remembers the
// config file's list they are compared with.
type blocklistState struct {
	mu   sync.Mutex
	file config.Blocklist
}

// restoreBlocklist puts the blocklist in force at start, before serving:
// the stored one, unless the config file's list changed since it was
// stored; then the file's, which is stored. Shards whose list in force
// differs record it (one synced batch).
func (s *Server) restoreBlocklist(shards map[[2]string]*engine.Shard) error {
	b, ok, err := s.store.GetMeta(blocklistKey)
	if err != nil {
		return fmt.Errorf("server: read the stored blocklist: %w", err)
	}
	var st storedBlocklist
	if ok {
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("server: the stored blocklist: %w", err)
		}
	}
	file := s.cfg.Blocklist
	s.blocklist.file = file
	uids, addrs, src := st.UIDs, st.Addrs, engine.SourceOperator
	if !ok || !sameBlocklist(st.FileUIDs, st.FileAddrs, file.UIDs, file.ParsedAddrs) {
		uids, addrs, src = file.UIDs, file.ParsedAddrs, engine.SourceConfig
	}
	list, err := s.keepBlocklist(uids, addrs)
	if err != nil {
		return err
	}
	change := engine.SetBlocklist(list)
	change.Source = src
	change.TimeUnixNano = time.Now().UnixNano()
	var controls []engine.Control
	for _, shard := range shards {
		c := change
		if shard.Control(&c) == engine.ControlApplied {
			controls = append(controls, c)
		}
	}
	if err := s.store.Append(nil, controls); err != nil {
		return fmt.Errorf("server: record the blocklist: %w", err)
	}
	s.gate.SetBlocklist(list.UIDs(), list.Addrs())
	if len(controls) > 0 || list.Len() > 0 {
		s.log.Info("blocklist in force", "uids", len(list.UIDs()), "addrs", len(list.Addrs()), "source", src.String(), "shards_recorded", len(controls))
	}
	return nil
}

// SetBlocklist replaces the blocklist while serving (PUT /admin/blocklist,
// admin.Engine): the list is stored, then recorded on every shard, each in
// sequence with its attempts, and only then answered — so a 200 means it is
// in the log, in force and survives a restart.
func (s *Server) SetBlocklist(ctx context.Context, uids []uint64, addrs []netip.Addr) (admin.ControlOutcome, error) {
	s.blocklist.mu.Lock()
	defer s.blocklist.mu.Unlock()
	return s.setBlocklist(ctx, uids, addrs, engine.SourceOperator)
}

// SetBlocklistFromFile puts the config file's [blocklist] in force while
// serving (a reload) and remembers it as the file's.
func (s *Server) SetBlocklistFromFile(file config.Blocklist) error {
	s.blocklist.mu.Lock()
	defer s.blocklist.mu.Unlock()
	prev := s.blocklist.file
	s.blocklist.file = file
	ctx, cancel := context.WithTimeout(context.Background(), blocklistTimeout)
	defer cancel()
	if _, err := s.setBlocklist(ctx, file.UIDs, file.ParsedAddrs, engine.SourceConfig); err != nil {
		s.blocklist.file = prev
		return err
	}
	return nil
}

// blocklistTimeout bounds how long a reload waits for room in a busy
// shard's inbox, as the admin API's changes do.
const blocklistTimeout = 10 * time.Second

func (s *Server) setBlocklist(ctx context.Context, uids []uint64, addrs []netip.Addr, src engine.ControlSource) (admin.ControlOutcome, error) {
	list, err := s.keepBlocklist(uids, addrs)
	if err != nil {
		return admin.ControlOutcome{}, fmt.Errorf("%w: %w", admin.ErrUnavailable, err)
	}
	change := engine.SetBlocklist(list)
	change.Source = src
	s.liveMu.RLock()
	loops := slices.Clone(s.loops)
	s.liveMu.RUnlock()
	out, err := s.controlLoops(ctx, loops, "blocklist", change)
	if err != nil {
		return out, err
	}
	s.gate.SetBlocklist(list.UIDs(), list.Addrs())
	return out, nil
}

// keepBlocklist stores the list (by digest) and then, as the list that
// should be in force, the blocklistKey entry; it returns the list.
func (s *Server) keepBlocklist(uids []uint64, addrs []netip.Addr) (*engine.Blocklist, error) {
	list := engine.NewBlocklist(uids, addrs)
	if err := auditlog.StoreBlocklist(s.store, list); err != nil {
		return nil, fmt.Errorf("server: store the blocklist: %w", err)
	}
	file := s.blocklist.file
	st := storedBlocklist{UIDs: list.UIDs(), Addrs: list.Addrs(), FileUIDs: file.UIDs, FileAddrs: unmapAll(file.ParsedAddrs)}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("server: encode the blocklist: %w", err)
	}
	if err := s.store.PutMeta(blocklistKey, b); err != nil {
		return nil, fmt.Errorf("server: store the blocklist: %w", err)
	}
	return list, nil
}

func unmapAll(addrs []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		out[i] = a.Unmap()
	}
	return out
}

func sameBlocklist(u1 []uint64, a1 []netip.Addr, u2 []uint64, a2 []netip.Addr) bool {
	return slices.Equal(u1, u2) && slices.Equal(unmapAll(a1), unmapAll(a2))
}

// blocklistOnNewShards records the blocklist in force on shards built
// while serving (a round added by PUT /admin/activity or a reload), before
// they serve, as restoreBlocklist does at a restart; the caller holds
// s.blocklist.mu until the shards are among s.loops, so a change of the
// list either comes before (and is read here) or reaches them too.
func (s *Server) blocklistOnNewShards(shards []*engine.Shard) error {
	b, ok, err := s.store.GetMeta(blocklistKey)
	if err != nil || !ok {
		if err != nil {
			return fmt.Errorf("server: read the stored blocklist: %w", err)
		}
		return nil // no list was ever in force
	}
	var st storedBlocklist
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("server: the stored blocklist: %w", err)
	}
	change := engine.SetBlocklist(engine.NewBlocklist(st.UIDs, st.Addrs))
	change.Source = engine.SourceOperator
	if sameBlocklist(st.UIDs, st.Addrs, st.FileUIDs, st.FileAddrs) {
		change.Source = engine.SourceConfig
	}
	change.TimeUnixNano = time.Now().UnixNano()
	var controls []engine.Control
	for _, shard := range shards {
		c := change
		if shard.Control(&c) == engine.ControlApplied {
			controls = append(controls, c)
		}
	}
	if err := s.store.Append(nil, controls); err != nil {
		return fmt.Errorf("server: record the blocklist: %w", err)
	}
	return nil
}
