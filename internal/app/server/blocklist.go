package server

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"seckill/internal/config"
)

// blocklistKey is the store's metadata key of the blocklist in force.
const blocklistKey = "blocklist"

// storedBlocklist is what the store keeps: the list in force, and the
// config file's [blocklist] as it was when the list was last set, so that
// a restart tells an edit of the file (the file's list then wins) from a
// file unchanged since the admin API set the list (the set list survives).
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

// restoreBlocklist puts the blocklist in force at start: the stored one,
// unless the config file's list changed since it was stored; then the
// file's, which is stored.
func (s *Server) restoreBlocklist() error {
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
	if ok && sameBlocklist(st.FileUIDs, st.FileAddrs, file.UIDs, file.ParsedAddrs) {
		s.blocklist.file = file
		s.gate.SetBlocklist(st.UIDs, st.Addrs)
		if len(st.UIDs)+len(st.Addrs) > 0 {
			s.log.Info("blocklist restored from the store", "uids", len(st.UIDs), "addrs", len(st.Addrs))
		}
		return nil
	}
	return s.SetBlocklistFromFile(file)
}

// SetBlocklist replaces the blocklist (PUT /admin/blocklist): stored
// durably first, then in force, so a list the operator was told is set
// survives a restart; when the store fails, nothing changes.
func (s *Server) SetBlocklist(uids []uint64, addrs []netip.Addr) error {
	s.blocklist.mu.Lock()
	defer s.blocklist.mu.Unlock()
	return s.storeBlocklist(uids, addrs)
}

// SetBlocklistFromFile puts the config file's [blocklist] in force (at
// start when the file changed, on a reload) and remembers it as the file's.
func (s *Server) SetBlocklistFromFile(file config.Blocklist) error {
	s.blocklist.mu.Lock()
	defer s.blocklist.mu.Unlock()
	prev := s.blocklist.file
	s.blocklist.file = file
	if err := s.storeBlocklist(file.UIDs, file.ParsedAddrs); err != nil {
		s.blocklist.file = prev
		return err
	}
	return nil
}

func (s *Server) storeBlocklist(uids []uint64, addrs []netip.Addr) error {
	file := s.blocklist.file
	st := storedBlocklist{UIDs: uids, Addrs: unmapAll(addrs), FileUIDs: file.UIDs, FileAddrs: unmapAll(file.ParsedAddrs)}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("server: encode the blocklist: %w", err)
	}
	if err := s.store.PutMeta(blocklistKey, b); err != nil {
		return fmt.Errorf("server: store the blocklist: %w", err)
	}
	s.gate.SetBlocklist(uids, addrs)
	return nil
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
