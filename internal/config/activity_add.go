package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// ErrConflict marks an activity that cannot be added because the running
// configuration already has its id, or sells one of its SKUs in an
// overlapping window. The error also holds the Problems naming each clash.
var ErrConflict = errors.New("config: activity conflicts with a running one")

// activityDoc is the body of PUT /admin/activity: one [[activity]] table,
// written as in the configuration file. Any other table is an unknown key.
type activityDoc struct {
	Activities []Activity `toml:"activity"`
}

// ParseActivity reads one [[activity]] table (an activity added while
// serving) and checks it with the rules of the configuration file, against
// c, the configuration the engine runs: the result is an activity that c
// could have held from the start. Relative paths are taken against
// c.BaseDir; start = "now" is now. Problems name the new activity's fields
// "activity.…" and are all reported at once (an error wrapping ErrInvalid
// or ErrSyntax); an id c already has, or a SKU c sells in an overlapping
// window, is an error wrapping ErrConflict and Problems. c is not changed.
func (c *Config) ParseActivity(data []byte, now time.Time) (*Activity, error) {
	var doc activityDoc
	meta, err := toml.Decode(string(data), &doc)
	if err != nil {
		return nil, decodeError(err)
	}
	frag := &Config{Activities: doc.Activities}
	frag.reportUnknownKeys(meta.Undecoded())
	if len(doc.Activities) != 1 {
		return nil, Problems{{"activity", fmt.Sprintf("the body must hold exactly one [[activity]] table; it holds %d", len(doc.Activities))}}
	}
	frag.resolve(c.BaseDir, now)
	frag.EnsureDefaults()
	added := &frag.Activities[0]
	// A fair opening's seed commitment must be published (on /stock and in
	// the log) before the window opens, and the engine records it once, at
	// start, for the file's rounds; a round added while serving would sell
	// first come, first served without it. Refused until the commitment is
	// recorded on the add path too.
	if added.OpeningLottery != 0 {
		frag.resolveProblems = append(frag.resolveProblems, Problem{"activity[0].opening_lottery",
			"a round with a fair opening cannot be added while serving: its seed commitment is recorded at start; put it in the configuration file and restart"})
	}
	if clashes := c.clashes(added); len(clashes) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConflict, clashes)
	}
	// The whole configuration with the activity appended must be valid:
	// the same rules as at start, cross-activity ones included.
	whole := *c
	whole.Activities = append(slices.Clip(c.Activities), *added)
	whole.resolveProblems = renameActivity(frag.resolveProblems, 0)
	if err := whole.Validate(); err != nil {
		var ps Problems
		errors.As(err, &ps)
		return nil, renameActivity(ps, len(c.Activities))
	}
	return added, nil
}

// renameActivity names the fields of activity[i] "activity.…", as the
// sender of one activity knows them.
func renameActivity(ps Problems, i int) Problems {
	prefix := fmt.Sprintf("activity[%d]", i)
	out := make(Problems, len(ps))
	for j, p := range ps {
		if rest, ok := strings.CutPrefix(p.Field, prefix); ok {
			p.Field = "activity" + rest
		}
		out[j] = p
	}
	return out
}

// clashes lists what a running activity of c already holds of a: its id, or
// one of its SKUs in an overlapping window.
func (c *Config) clashes(a *Activity) Problems {
	var out Problems
	for i := range c.Activities {
		b := &c.Activities[i]
		if b.ID == a.ID {
			out = append(out, Problem{"activity.id", fmt.Sprintf("%q is the id of a running activity", a.ID)})
		}
		if a.StartTime.IsZero() || a.EndTime.IsZero() || !a.StartTime.Before(b.EndTime) || !b.StartTime.Before(a.EndTime) {
			continue
		}
		for j := range a.Items {
			if b.Item(a.Items[j].SKU) != nil {
				out = append(out, Problem{fmt.Sprintf("activity.item[%d].sku", j), fmt.Sprintf("%q is sold by activity %q in an overlapping window", a.Items[j].SKU, b.ID)})
			}
		}
	}
	return out
}

// Activity returns c's activity id, or nil.
func (c *Config) Activity(id string) *Activity {
	for i := range c.Activities {
		if c.Activities[i].ID == id {
			return &c.Activities[i]
		}
	}
	return nil
}

// Item returns the activity's item of sku, or nil.
func (a *Activity) Item(sku string) *Item {
	for i := range a.Items {
		if a.Items[i].SKU == sku {
			return &a.Items[i]
		}
	}
	return nil
}

// EncodeActivity writes a as one [[activity]] table that ParseActivity
// reads back to the same activity whenever it is read: start and end are
// written as the instants they resolved to (RFC 3339 with nanoseconds), and
// paths as they were resolved.
func EncodeActivity(a *Activity) ([]byte, error) {
	fixed := *a
	fixed.Start = a.StartTime.Format(time.RFC3339Nano)
	fixed.End = a.EndTime.Format(time.RFC3339Nano)
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(activityDoc{Activities: []Activity{fixed}}); err != nil {
		return nil, fmt.Errorf("config: encode activity %s: %w", a.ID, err)
	}
	return []byte(b.String()), nil
}
