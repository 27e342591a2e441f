package export

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"seckill/engine"
	"seckill/wal"
)

// Formats.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// FormatFor is the format an export to path gets: explicit when set, else
// CSV for a name ending in ".csv" or ".csv.zst", else JSON Lines.
func FormatFor(path, explicit string) string {
	if explicit != "" {
		return explicit
	}
	if strings.HasSuffix(strings.TrimSuffix(path, ".zst"), ".csv") {
		return FormatCSV
	}
	return FormatJSONL
}

// Stages at which Options.Pause is called; a crash test stops the process
// there to prove that every window between two steps is recoverable.
const (
	StageIntent   = "intent"   // the intent is durable, nothing written yet
	StageWriting  = "writing"  // the temporary file holds part of the records
	StageRenamed  = "renamed"  // the file has its final name, the manifest not yet
	StageManifest = "manifest" // file and manifest in place, cursor not yet moved
)

// writeChunk is how many encoded bytes collect before they go to the
// compressor or file: large enough that the per-write overhead vanishes,
// small enough to stay in cache.
const writeChunk = 256 << 10

// Options are one export run's settings.
type Options struct {
	// Out is the file to create: a bare name, written in the exporter's
	// directory; ".zst" at the end means zstd.
	Out    string
	Format string // FormatJSONL or FormatCSV
	// All exports every win and leaves every cursor where it is; otherwise
	// only wins after the cursor are exported and the cursor moves.
	All bool
	// Cursor names the cursor an incremental run reads and moves; empty
	// means DefaultCursor.
	Cursor string
	// Pause, when set, is called at each Stage* (tests only).
	Pause func(stage string)
}

// Exporter exports one store's winners into one directory. One run at a
// time: Run holds a mutex, so the admin endpoint of a running engine and
// its CLI twin never race on a cursor.
type Exporter struct {
	log      *wal.Log
	dir      string // absolute
	storeDir string
	logger   *slog.Logger
	// others and otherDirs are the further stores of a combined export
	// (NewCombined): their records are read, nothing is written to them.
	others    []*wal.Log
	otherDirs []string
	mu        sync.Mutex
	now       func() time.Time
}

// New returns an exporter over an open store whose files go to dir ([export]
// dir; the first run creates it). dir may not be storeDir (the store's
// directory) or inside it: that is ErrDir, here and at every run.
func New(log *wal.Log, dir, storeDir string, logger *slog.Logger) (*Exporter, error) {
	abs, err := checkDir(dir, storeDir)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Exporter{log: log, dir: abs, storeDir: storeDir, logger: logger, now: time.Now}, nil
}

// Dir is the directory the exporter writes to.
func (e *Exporter) Dir() string { return e.dir }

// intent is stored before anything is written, so a run that dies midway
// is recognised by the next one and either finished or undone.
type intent struct {
	RunID       string `json:"run_id"`
	Out         string `json:"out"` // absolute
	Incremental bool   `json:"incremental"`
	Cursor      string `json:"cursor,omitempty"` // of an incremental run; empty in intents of older versions: DefaultCursor
}

// cursor is the name of the cursor an incremental run moves.
func (in *intent) cursor() string {
	if in.Cursor == "" {
		return DefaultCursor
	}
	return in.Cursor
}

func (in *intent) manifestPath() string { return in.Out + ManifestSuffix }
func (in *intent) tmpPath() string      { return in.Out + "." + in.RunID + ".tmp" }
func (in *intent) manifestTmpPath() string {
	return in.manifestPath() + "." + in.RunID + ".tmp"
}

// Run exports per opts and returns the manifest it wrote. It first settles
// a previous run that died midway (see recover). The file appears under its
// final name only once complete and fsync'd, the manifest after it, and the
// cursor moves (in the same synced store write that drops the intent) only
// after both are durable: a crash at any point leaves either the old cursor
// and no file, or the new cursor and both files, once the next run has
// recovered.
func (e *Exporter) Run(opts Options) (*Manifest, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.recover(); err != nil {
		return nil, err
	}
	if opts.Format != FormatJSONL && opts.Format != FormatCSV {
		return nil, fmt.Errorf("%w: %q (want %q or %q)", ErrFormat, opts.Format, FormatJSONL, FormatCSV)
	}
	if err := checkName(opts.Out); err != nil {
		return nil, err
	}
	if err := e.checkCombined(opts); err != nil {
		return nil, err
	}
	cursor := opts.Cursor
	if cursor == "" {
		cursor = DefaultCursor
	}
	if err := checkCursorName(cursor); err != nil {
		return nil, err
	}
	// Checked again at each run: the directory may have been replaced by
	// a link since the exporter was made.
	if _, err := checkDir(e.dir, e.storeDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(e.dir, 0o750); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDir, err)
	}
	out := filepath.Join(e.dir, opts.Out)
	for _, p := range []string{out, out + ManifestSuffix} {
		switch ok, err := exists(p); {
		case err != nil:
			return nil, fmt.Errorf("export: %w", err)
		case ok:
			return nil, fmt.Errorf("%w: %s", ErrExists, p)
		}
	}
	cur, promoted := Cursor{}, Cursor{}
	in := &intent{Out: out, Incremental: !opts.All}
	if !opts.All {
		in.Cursor = cursor
		var err error
		if cur, err = LoadCursor(e.log, cursor); err != nil {
			return nil, err
		}
		if promoted, err = loadPromotedCursor(e.log, cursor); err != nil {
			return nil, err
		}
	}
	var id [8]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails
	in.RunID = hex.EncodeToString(id[:])
	b, _ := json.Marshal(in)
	if err := e.log.PutMeta(intentKey, b); err != nil {
		return nil, fmt.Errorf("export: record intent: %w", err)
	}
	pause(opts, StageIntent)
	m, err := e.write(in, cur, promoted, opts)
	if err != nil {
		if rerr := e.rollBack(in); rerr != nil {
			e.logger.Error("export: undoing the failed run failed; the next run will retry", "err", rerr)
		}
		return nil, err
	}
	if err := e.commit(in, m); err != nil {
		return nil, err
	}
	return m, nil
}

func pause(opts Options, stage string) {
	if opts.Pause != nil {
		opts.Pause(stage)
	}
}

// write produces the file and its manifest under their final names, both
// fsync'd, the directory too.
func (e *Exporter) write(in *intent, cur, promoted Cursor, opts Options) (*Manifest, error) {
	f, err := os.OpenFile(in.tmpPath(), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	defer f.Close() // after the explicit Close below, a no-op
	hw := newHashWriter(f)
	var sink io.Writer = hw
	var zw *zstd.Encoder
	compression := "none"
	if strings.HasSuffix(in.Out, ".zst") {
		// SpeedFastest keeps the compressor well ahead of the encoder on a
		// small machine; the records are hex-heavy and still shrink ~2x.
		if zw, err = zstd.NewWriter(hw, zstd.WithEncoderLevel(zstd.SpeedFastest)); err != nil {
			return nil, fmt.Errorf("export: zstd: %w", err)
		}
		sink, compression = zw, "zstd"
	}
	m := &Manifest{
		Version: 1, RunID: in.RunID, File: filepath.Base(in.Out), Format: opts.Format,
		Compression: compression, Incremental: in.Incremental,
	}
	if in.Incremental {
		m.Cursor = in.cursor()
	}
	if err := e.scan(m, cur, promoted, sink, opts); err != nil {
		if zw != nil {
			zw.Close()
		}
		return nil, err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("export: zstd: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("export: sync %s: %w", in.tmpPath(), err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	m.Bytes, m.SHA256 = hw.n, hex.EncodeToString(hw.h.Sum(nil))
	m.Created = e.now().UTC().Format(time.RFC3339Nano)
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := writeFileSync(in.manifestTmpPath(), append(mb, '\n')); err != nil {
		return nil, fmt.Errorf("export: manifest: %w", err)
	}
	if err := os.Rename(in.tmpPath(), in.Out); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	pause(opts, StageRenamed)
	if err := os.Rename(in.manifestTmpPath(), in.manifestPath()); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := syncDir(filepath.Dir(in.Out)); err != nil {
		return nil, fmt.Errorf("export: sync directory: %w", err)
	}
	pause(opts, StageManifest)
	return m, nil
}

// scan encodes every win after cur into sink and fills the manifest's
// counts, ranges and heads, all from one consistent view of the store.
func (e *Exporter) scan(m *Manifest, cur, promoted Cursor, sink io.Writer, opts Options) error {
	buf := make([]byte, 0, writeChunk+engine.MaxWinBodySize*4)
	if opts.Format == FormatCSV {
		buf = append(buf, CSVHeader...)
	}
	appendRecord := func(dst []byte, w *engine.Win) []byte { return append(AppendJSON(dst, w), '\n') }
	if opts.Format == FormatCSV {
		appendRecord = AppendCSV
	}
	heads := map[string][]engine.ChainHead{}
	var acts []string
	seen := map[chainKey]bool{}
	// Control strands are not exported, but the digest covers their heads.
	// They are read just before the wins: a control change made during the
	// export shows in the next manifest.
	controlHeads := map[chainKey]wal.Head{}
	for _, log := range e.stores() {
		if err := log.ScanControlHeads(func(h *wal.Head) error {
			controlHeads[chainKey{h.Activity, h.SKU}] = *h
			return nil
		}, func(key string, err error) error { return err }); err != nil {
			return fmt.Errorf("export: control heads: %w", err)
		}
	}
	var first, last int64
	pauseWriting := opts.Pause != nil // once, after the first record
	storeOf := map[string]int{}       // activity -> the store that holds it
	store := 0
	chainHead := func(head *engine.Win) (uint64, error) {
		k := chainKey{head.Activity, head.SKU}
		if s, ok := storeOf[k.Activity]; ok && s != store {
			return 0, fmt.Errorf("%w: activity %s is in store %d and in store %d (counting from 1): one node sells an activity", ErrCombined, k.Activity, s+1, store+1)
		}
		storeOf[k.Activity] = store
		after := cur[k]
		if after > head.Seq {
			return 0, fmt.Errorf("%w: cursor at %s/%s seq %d, the chain ends at %d", ErrCursor, k.Activity, k.SKU, after, head.Seq)
		}
		seen[k] = true
		m.Ranges = append(m.Ranges, Range{Activity: k.Activity, SKU: k.SKU, After: after, Through: head.Seq})
		if _, ok := heads[k.Activity]; !ok {
			acts = append(acts, k.Activity)
		}
		h := engine.ChainHead{SKU: k.SKU, Wins: head.Seq, Hash: head.Hash}
		if ch, ok := controlHeads[k]; ok {
			h.Controls, h.ControlHash = ch.Seq, ch.Hash
		}
		heads[k.Activity] = append(heads[k.Activity], h)
		return after, nil
	}
	record := func(w *engine.Win) error {
		buf = appendRecord(buf, w)
		if m.Count == 0 || w.TimeUnixNano < first {
			first = w.TimeUnixNano
		}
		if m.Count == 0 || w.TimeUnixNano > last {
			last = w.TimeUnixNano
		}
		m.Count++
		if len(buf) >= writeChunk || pauseWriting {
			if _, err := sink.Write(buf); err != nil {
				return fmt.Errorf("export: write: %w", err)
			}
			buf = buf[:0]
			if pauseWriting {
				if f, ok := sink.(interface{ Flush() error }); ok {
					if err := f.Flush(); err != nil {
						return fmt.Errorf("export: write: %w", err)
					}
				}
				pauseWriting = false
				opts.Pause(StageWriting)
			}
		}
		return nil
	}
	for i, log := range e.stores() {
		store = i
		if err := log.ScanWinsAfter(chainHead, record); err != nil {
			return err
		}
	}
	for k := range cur {
		if !seen[k] {
			return fmt.Errorf("%w: cursor names %s/%s, which the store does not hold", ErrCursor, k.Activity, k.SKU)
		}
	}
	var err error
	if buf, err = e.scanPromoted(m, promoted, buf, opts.Format); err != nil {
		return err
	}
	if _, err := sink.Write(buf); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	if m.Count > 0 {
		m.FirstTime = time.Unix(0, first).UTC().Format(time.RFC3339Nano)
		m.LastTime = time.Unix(0, last).UTC().Format(time.RFC3339Nano)
	}
	for _, act := range acts {
		ah := ActivityHeads{Activity: act, Digest: engine.ActivityDigest(heads[act])}
		for _, h := range heads[act] {
			ch := ChainHead{SKU: h.SKU, Wins: h.Wins, Head: hex.EncodeToString(h.Hash[:]), Controls: h.Controls}
			if h.Controls > 0 {
				ch.ControlHead = hex.EncodeToString(h.ControlHash[:])
			}
			ah.Chains = append(ah.Chains, ch)
		}
		m.Activities = append(m.Activities, ah)
	}
	return nil
}

// commit moves the run's cursor (incremental runs) and drops the intent in
// one synced store write. The nightly cursor's unnamed predecessor goes in
// the same write, so it is never read again.
func (e *Exporter) commit(in *intent, m *Manifest) error {
	ops := []wal.MetaOp{{Key: intentKey, Delete: true}}
	if in.Incremental {
		ops = append(ops, wal.MetaOp{Key: cursorPrefix + in.cursor(), Value: m.cursorAfter().encode()})
		ops = append(ops, wal.MetaOp{Key: promotedPrefix + in.cursor(), Value: rangesThrough(m.PromotedRanges).encode()})
		if in.cursor() == DefaultCursor {
			ops = append(ops, wal.MetaOp{Key: legacyCursor, Delete: true})
		}
	}
	if err := e.log.ApplyMeta(ops); err != nil {
		return fmt.Errorf("export: commit cursor: %w", err)
	}
	return nil
}
