package auditlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
)

// Store is the part of *wal.Log the audit log uses.
type Store interface {
	PutMeta(key string, value []byte) error
	ScanMeta(prefix string, fn func(key string, value []byte) error) error
}

// Recorder writes config records, one per change of an activity's effective
// configuration. It is safe for concurrent use; records of one activity get
// consecutive sequence numbers in the order Record is called.
type Recorder struct {
	store Store
	mu    sync.Mutex
	last  map[string]lastRecord
}

// lastRecord is what Record compares a new config with: the latest stored
// record of an activity, without the fields that say when and why.
type lastRecord struct {
	seq       uint64
	effective []byte // nil when the stored record did not decode
}

// NewRecorder reads the latest config record of every activity in store.
// A record that does not decode is not an error here (the audit reports
// it); the next Record of its activity simply writes a new one after it.
func NewRecorder(store Store) (*Recorder, error) {
	r := &Recorder{store: store, last: map[string]lastRecord{}}
	err := store.ScanMeta(configPrefix, func(key string, value []byte) error {
		act, seq, ok := parseConfigKey(key)
		if !ok || seq <= r.last[act].seq {
			return nil
		}
		var c Config
		var eff []byte
		if json.Unmarshal(value, &c) == nil {
			eff = effective(&c)
		}
		r.last[act] = lastRecord{seq: seq, effective: eff}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("auditlog: read config records: %w", err)
	}
	return r, nil
}

// effective encodes c without Reason, TimeUnixNano and Seq: two configs
// with the same encoding sell the same way.
func effective(c *Config) []byte {
	e := *c
	e.Reason, e.TimeUnixNano, e.Seq = "", 0, 0
	b, err := json.Marshal(&e)
	if err != nil {
		panic(fmt.Sprintf("auditlog: marshal config: %v", err)) // plain data: cannot fail
	}
	return b
}

// Record stores c as its activity's next config record, unless it is in
// effect the same as the latest one, and reports whether it wrote. The
// write is synced.
func (r *Recorder) Record(c *Config) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	eff := effective(c)
	last := r.last[c.Activity]
	if last.effective != nil && bytes.Equal(last.effective, eff) {
		return false, nil
	}
	value, err := json.Marshal(c)
	if err != nil {
		return false, fmt.Errorf("auditlog: marshal config: %w", err)
	}
	seq := last.seq + 1
	if err := r.store.PutMeta(configKey(c.Activity, seq), value); err != nil {
		return false, fmt.Errorf("auditlog: store config record of %s: %w", c.Activity, err)
	}
	c.Seq = seq
	r.last[c.Activity] = lastRecord{seq: seq, effective: eff}
	return true, nil
}
