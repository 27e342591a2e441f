package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"

	"seckill/wal"
)

// recover settles a run that died between recording its intent and
// committing: it rolls forward when the file and its manifest are both in
// place and the file's sha256 is the manifest's (only the store write was
// missing), and rolls back otherwise, deleting whatever the run left. Run
// calls it first, under the exporter's mutex.
func (e *Exporter) recover() error {
	b, ok, err := e.log.GetMeta(intentKey)
	if err != nil || !ok {
		return err
	}
	var in intent
	if err := json.Unmarshal(b, &in); err != nil || in.RunID == "" || in.Out == "" {
		return fmt.Errorf("%w: stored intent %q", ErrCursor, b)
	}
	m, ok := e.completed(&in)
	if !ok {
		e.logger.Warn("export: a previous run died before it completed; undoing it", "run_id", in.RunID, "out", in.Out)
		return e.rollBack(&in)
	}
	e.logger.Warn("export: a previous run died after writing its file; completing it", "run_id", in.RunID, "out", in.Out, "count", m.Count)
	if err := syncDir(filepath.Dir(in.Out)); err != nil {
		return fmt.Errorf("export: sync directory: %w", err)
	}
	return e.commit(&in, m)
}

// completed reports whether in's file and manifest are both in place and
// agree, and whether the manifest starts where the cursor stands (it must:
// runs are serialised, so the cursor cannot have moved since).
func (e *Exporter) completed(in *intent) (*Manifest, bool) {
	m, err := ReadManifest(in.manifestPath())
	if err != nil || m.RunID != in.RunID || m.Incremental != in.Incremental || (in.Incremental && m.Cursor != in.cursor()) {
		return nil, false
	}
	sum, err := fileSHA256(in.Out)
	if err != nil || sum != m.SHA256 {
		return nil, false
	}
	if in.Incremental {
		cur, err := LoadCursor(e.log, in.cursor())
		if err != nil {
			return nil, false
		}
		before := Cursor{}
		for _, r := range m.Ranges {
			if r.After > 0 {
				before[chainKey{r.Activity, r.SKU}] = r.After
			}
		}
		for k, v := range cur {
			if v == 0 {
				delete(cur, k)
			}
		}
		if !maps.Equal(before, cur) {
			return nil, false
		}
	}
	return m, true
}

// rollBack deletes what the run of in may have left and then its intent.
// The final file is the run's own whenever the intent exists (Run refuses
// to start over an existing file), unless a manifest of another run sits
// beside it.
func (e *Exporter) rollBack(in *intent) error {
	// The manifest goes before the file, so no consumer ever sees a
	// manifest whose file is missing.
	paths := []string{in.tmpPath(), in.manifestTmpPath()}
	if m, err := ReadManifest(in.manifestPath()); err == nil && m.RunID == in.RunID {
		paths = append(paths, in.manifestPath(), in.Out)
	} else if ok, _ := exists(in.manifestPath()); !ok {
		paths = append(paths, in.Out)
	}
	for _, p := range paths {
		if err := removeIfExists(p); err != nil {
			return fmt.Errorf("export: undo: %w", err)
		}
	}
	if err := syncDir(filepath.Dir(in.Out)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("export: undo: sync directory: %w", err)
	}
	if err := e.log.ApplyMeta([]wal.MetaOp{{Key: intentKey, Delete: true}}); err != nil {
		return fmt.Errorf("export: undo: %w", err)
	}
	return nil
}
