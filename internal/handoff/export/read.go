package export

import (
	"bufio"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"seckill/engine"
)

// Record is one exported winner as it appears in a file or a push body.
type Record struct {
	Activity       string `json:"activity"`
	SKU            string `json:"sku"`
	Seq            uint64 `json:"seq"`
	UID            uint64 `json:"uid"`
	Ticket         string `json:"ticket"`
	Time           string `json:"time"`
	TimeUnixNano   int64  `json:"time_unix_nano"`
	Client         string `json:"client"`
	Prev           string `json:"prev"`
	Hash           string `json:"hash"`
	IdempotencyKey string `json:"idempotency_key"`
	// State, PromotedFrom and Round are set on a promoted record only
	// (AppendPromotedJSON); a win's record has none of them.
	State        string `json:"state,omitempty"`
	PromotedFrom uint64 `json:"promoted_from,omitempty"`
	Round        uint64 `json:"round,omitempty"`
}

// Win converts r back to the engine's record, checking that every field is
// well formed and that the redundant ones (time, idempotency key) agree, so
// that engine.ComputeHash over it is the check of the chain.
func (r *Record) Win() (engine.Win, error) {
	w := engine.Win{Activity: r.Activity, SKU: r.SKU, Seq: r.Seq, UID: r.UID, TimeUnixNano: r.TimeUnixNano}
	if err := unhex(w.Ticket[:], r.Ticket); err != nil {
		return w, fmt.Errorf("%w: %s: ticket: %w", ErrRecord, r.IdempotencyKey, err)
	}
	if err := unhex(w.Prev[:], r.Prev); err != nil {
		return w, fmt.Errorf("%w: %s: prev: %w", ErrRecord, r.IdempotencyKey, err)
	}
	if err := unhex(w.Hash[:], r.Hash); err != nil {
		return w, fmt.Errorf("%w: %s: hash: %w", ErrRecord, r.IdempotencyKey, err)
	}
	if r.Client != "" {
		a, err := netip.ParseAddr(r.Client)
		if err != nil {
			return w, fmt.Errorf("%w: %s: client: %w", ErrRecord, r.IdempotencyKey, err)
		}
		w.Client = a
	}
	t, err := time.Parse(time.RFC3339Nano, r.Time)
	if err != nil || t.UnixNano() != r.TimeUnixNano {
		return w, fmt.Errorf("%w: %s: time %q does not match time_unix_nano %d", ErrRecord, r.IdempotencyKey, r.Time, r.TimeUnixNano)
	}
	if key := string(AppendIdempotencyKey(nil, &w)); key != r.IdempotencyKey {
		return w, fmt.Errorf("%w: idempotency_key %q, want %q", ErrRecord, r.IdempotencyKey, key)
	}
	return w, nil
}

func unhex(dst []byte, s string) error {
	if len(s) != 2*len(dst) {
		return fmt.Errorf("%d hex digits, want %d", len(s), 2*len(dst))
	}
	_, err := hex.Decode(dst, []byte(s))
	return err
}

// ReadFile calls fn for every record of an export file in file order. The
// format is "jsonl" or "csv"; a name ending in ".zst" is decompressed. It
// is how tests and consumers read an export back; it checks the shape of
// each line but not the chain (see Verifier).
func ReadFile(path, format string, fn func(*Record) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("export: read: %w", err)
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 1<<20)
	if strings.HasSuffix(path, ".zst") {
		zr, err := zstd.NewReader(r)
		if err != nil {
			return fmt.Errorf("export: read %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	switch format {
	case FormatJSONL:
		return readJSONL(path, r, fn)
	case FormatCSV:
		return readCSV(path, r, fn)
	}
	return fmt.Errorf("%w: %q", ErrFormat, format)
}

func readJSONL(path string, r io.Reader, fn func(*Record) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for line := 1; sc.Scan(); line++ {
		var rec Record
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return fmt.Errorf("%w: %s line %d: %w", ErrRecord, path, line, err)
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("export: read %s: %w", path, err)
	}
	return nil
}

func readCSV(path string, r io.Reader, fn func(*Record) error) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return fmt.Errorf("%w: %s: no header", ErrRecord, path)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrRecord, path, err)
	}
	switch strings.Join(head, ",") + "\n" {
	case CSVHeader, CSVHeaderWinsOnly:
	default:
		return fmt.Errorf("%w: %s: header %q", ErrRecord, path, strings.Join(head, ","))
	}
	promotedColumns := len(head) > 11
	for {
		f, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrRecord, path, err)
		}
		rec := Record{Activity: f[0], SKU: f[1], Ticket: f[4], Time: f[5], Client: f[7], Prev: f[8], Hash: f[9], IdempotencyKey: f[10]}
		var e1, e2, e3, e4, e5 error
		rec.Seq, e1 = strconv.ParseUint(f[2], 10, 64)
		rec.UID, e2 = strconv.ParseUint(f[3], 10, 64)
		rec.TimeUnixNano, e3 = strconv.ParseInt(f[6], 10, 64)
		if promotedColumns && f[11] != "" {
			rec.State = f[11]
			rec.PromotedFrom, e4 = strconv.ParseUint(f[12], 10, 64)
			rec.Round, e5 = strconv.ParseUint(f[13], 10, 64)
		}
		if promotedColumns && f[11] == "" && (f[12] != "" || f[13] != "") {
			line, _ := cr.FieldPos(0)
			return fmt.Errorf("%w: %s line %d: promoted_from or round without a state", ErrRecord, path, line)
		}
		if e1 != nil || e2 != nil || e3 != nil || e4 != nil || e5 != nil {
			line, _ := cr.FieldPos(0)
			return fmt.Errorf("%w: %s line %d: bad number", ErrRecord, path, line)
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
}
