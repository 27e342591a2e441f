package push

import (
	"encoding/binary"
	"fmt"
	"strings"

	"seckill/engine"
	"seckill/wal"
)

// Meta keys of the delivery state (see the package doc for the layout).
const (
	markPrefix   = "push.mark/"
	failedPrefix = "push.failed/"
	queuedPrefix = "push.queued/"
)

// maxReason bounds the error text kept with a failed record, so a mall
// answering with a huge error page cannot bloat the store.
const maxReason = 200

// chainKey names one hash chain: an (activity, SKU).
type chainKey struct{ Activity, SKU string }

// mark is one chain's delivery state: every seq up to Settled was delivered
// or is parked under a failed or queued key; the seqs after it are pending.
// While Attempts > 0, the seqs Settled+1..TryThrough have failed that many
// POSTs and are retried as a unit.
type mark struct {
	Settled    uint64
	TryThrough uint64
	Attempts   uint32
}

const markLen = 8 + 8 + 4

func markKey(k chainKey) string { return markPrefix + k.Activity + "\x00" + k.SKU }

func (m mark) encode() []byte {
	b := make([]byte, 0, markLen)
	b = binary.BigEndian.AppendUint64(b, m.Settled)
	b = binary.BigEndian.AppendUint64(b, m.TryThrough)
	return binary.BigEndian.AppendUint32(b, m.Attempts)
}

func decodeMark(key string, v []byte) (chainKey, mark, error) {
	act, sku, ok := strings.Cut(strings.TrimPrefix(key, markPrefix), "\x00")
	if len(v) != markLen || !ok || act == "" || sku == "" {
		return chainKey{}, mark{}, fmt.Errorf("%w: %q", ErrState, key)
	}
	return chainKey{act, sku}, mark{
		Settled:    binary.BigEndian.Uint64(v),
		TryThrough: binary.BigEndian.Uint64(v[8:]),
		Attempts:   binary.BigEndian.Uint32(v[16:]),
	}, nil
}

// recordKey is prefix act 0x00 sku 0x00 seq (8 bytes big-endian), so the
// parked records of a chain sort by seq.
func recordKey(prefix string, w *engine.Win) string {
	b := make([]byte, 0, len(prefix)+len(w.Activity)+len(w.SKU)+10)
	b = append(b, prefix...)
	b = append(b, w.Activity...)
	b = append(b, 0)
	b = append(b, w.SKU...)
	b = append(b, 0)
	return string(binary.BigEndian.AppendUint64(b, w.Seq))
}

func parseRecordKey(prefix, key string) (act, sku string, seq uint64, err error) {
	rest := strings.TrimPrefix(key, prefix)
	if len(rest) < 8+2 || rest[len(rest)-9] != 0 {
		return "", "", 0, fmt.Errorf("%w: %q", ErrState, key)
	}
	seq = binary.BigEndian.Uint64([]byte(rest[len(rest)-8:]))
	act, sku, ok := strings.Cut(rest[:len(rest)-9], "\x00")
	if !ok || act == "" || sku == "" {
		return "", "", 0, fmt.Errorf("%w: %q", ErrState, key)
	}
	return act, sku, seq, nil
}

// failedValue is attempts (4), unix milliseconds of the last one (8) and
// the last error's text (at most maxReason bytes).
func failedValue(attempts uint32, unixMs int64, reason string) []byte {
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 12+len(reason)), attempts)
	b = binary.BigEndian.AppendUint64(b, uint64(unixMs))
	return append(b, reason...)
}

// queuedValue is the attempts since the record was queued again (4).
func queuedValue(attempts uint32) []byte { return binary.BigEndian.AppendUint32(nil, attempts) }

func queuedAttempts(v []byte) uint32 {
	if len(v) < 4 {
		return 0
	}
	return binary.BigEndian.Uint32(v)
}

// loadMarks reads every chain's mark.
func loadMarks(log store) (map[chainKey]mark, error) {
	marks := map[chainKey]mark{}
	err := log.ScanMeta(markPrefix, func(key string, v []byte) error {
		k, m, err := decodeMark(key, v)
		marks[k] = m
		return err
	})
	return marks, err
}

// ChainStatus is one chain's delivery state.
type ChainStatus struct {
	Activity string `json:"activity"`
	SKU      string `json:"sku"`
	Wins     uint64 `json:"wins"`     // the chain's length
	Settled  uint64 `json:"settled"`  // delivered or parked through this seq
	Attempts uint32 `json:"attempts"` // failed POSTs of the records after Settled
}

// Status sums up the delivery state of a store.
type Status struct {
	Delivered uint64        `json:"delivered"`
	Pending   uint64        `json:"pending"` // not yet delivered, queued included
	Queued    uint64        `json:"queued"`  // failed records queued again
	Failed    uint64        `json:"failed"`  // given up; wait for a re-push
	Chains    []ChainStatus `json:"chains"`
}

// Status reads the pusher's delivery state from its store.
func (p *Pusher) Status() (Status, error) { return readStatus(p.log) }

// ReadStatus reads the delivery state from the store; it works on a store
// opened read-only too.
func ReadStatus(log *wal.Log) (Status, error) { return readStatus(log) }

func readStatus(log store) (Status, error) {
	var st Status
	marks, err := loadMarks(log)
	if err != nil {
		return st, err
	}
	count := func(prefix string, n *uint64) error {
		return log.ScanMeta(prefix, func(string, []byte) error { *n++; return nil })
	}
	if err := count(failedPrefix, &st.Failed); err != nil {
		return st, err
	}
	if err := count(queuedPrefix, &st.Queued); err != nil {
		return st, err
	}
	var settled uint64
	err = log.ScanWinsAfter(func(head *engine.Win) (uint64, error) {
		m := marks[chainKey{head.Activity, head.SKU}]
		st.Chains = append(st.Chains, ChainStatus{Activity: head.Activity, SKU: head.SKU, Wins: head.Seq, Settled: m.Settled, Attempts: m.Attempts})
		settled += m.Settled
		st.Pending += head.Seq - min(m.Settled, head.Seq)
		return head.Seq, nil
	}, func(*engine.Win) error { return nil })
	st.Pending += st.Queued
	st.Delivered = settled - min(settled, st.Failed+st.Queued)
	return st, err
}
