package server

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"seckill/engine"
	"seckill/internal/config"
	"seckill/internal/store/auditlog"
)

// Reload applies, while serving, what may change live between the
// configuration file as last read and next, a fresh read of it (SIGHUP):
// new rounds (as PUT /admin/activity adds them), texts (title, fail_text,
// delivery_hint, item names, variants and prices), admit_per_sec, an
// item's stock (as POST /admin/stock sets it, never below the
// qualifications already issued), an end moved to now or earlier (the round
// ends now, as POST /admin/end), and the [blocklist]. Any other difference
// is refused. It is all or nothing: when anything is
// refused, nothing is applied, and the returned Problems (wrapping
// config.ErrInvalid) name every refused field, so the operator fixes the
// file and sends SIGHUP again. applied lists what changed, by field.
// Reloads and added activities are serialized.
//
// The file as last read stays what the next reload is compared with until
// a reload is applied, so a change the operator made through the admin API
// (a pause, a stock) is not undone by a reload of a file that did not
// touch it.
func (s *Server) Reload(next *config.Config) (applied []string, err error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	plan, refused := s.planReload(s.fileCfg, next, time.Now())
	if len(refused) > 0 {
		return nil, refused
	}
	applied, err = s.applyReload(plan)
	if err != nil {
		return applied, err
	}
	s.fileCfg = next
	return applied, nil
}

// reloadPlan is what a reload changes, checked before anything is.
type reloadPlan struct {
	blocklist *config.Blocklist
	added     []*config.Activity
	// changed are the running activities whose texts or admission change,
	// by id, as the file now has them.
	changed map[string]*config.Activity
	endNow  []string      // activities whose end moved to now or before
	stocks  []stockChange // items whose stock or quota_percent changed
	live    liveChanges   // moved ends, release rates, waitlists
	fields  []string      // what changes, by field, for the log
}

// planReload compares next with prev (the file as last read) and with what
// runs, and returns what a reload would change, or every change it
// refuses.
func (s *Server) planReload(prev, next *config.Config, now time.Time) (*reloadPlan, config.Problems) {
	plan := &reloadPlan{changed: map[string]*config.Activity{}}
	var refused config.Problems
	refuse := func(field, why string) { refused = append(refused, config.Problem{Field: field, Message: why}) }

	for _, section := range []string{"server", "admin", "auth", "export"} {
		for _, f := range changedFields(section, sectionOf(prev, section), sectionOf(next, section)) {
			refuse(f, "changed; takes effect only at a restart")
		}
	}
	if !slices.Equal(prev.Blocklist.UIDs, next.Blocklist.UIDs) || !slices.Equal(prev.Blocklist.Addrs, next.Blocklist.Addrs) {
		plan.blocklist = &next.Blocklist
		plan.fields = append(plan.fields, "blocklist")
	}

	running := s.runningConfig()
	history, _, err := auditlog.LoadHistory(s.store)
	if err != nil {
		refuse("activity", fmt.Sprintf("cannot read the store's config records: %v", err))
	}
	for j := range next.Activities {
		a := &next.Activities[j]
		field := fmt.Sprintf("activity[%d]", j)
		base := prev.Activity(a.ID)
		if base == nil {
			base = running.Activity(a.ID) // added while serving, now in the file too
		}
		if base == nil {
			added, problems := planAdded(running, a, field, now, len(history[a.ID]) > 0)
			if len(problems) > 0 {
				refused = append(refused, problems...)
				continue
			}
			running.Activities = append(running.Activities, *added) // the next new round must fit with this one
			plan.added = append(plan.added, added)
			plan.fields = append(plan.fields, field+" (new activity "+a.ID+")")
			continue
		}
		d := diffActivity(field, base, a, now)
		refused = append(refused, d.refused...)
		for _, sc := range d.stocks {
			sc.activity = a.ID
			if why := s.refuseStock(sc); why != "" {
				refuse(sc.field, why)
				continue
			}
			plan.stocks = append(plan.stocks, sc)
		}
		refused = append(refused, s.planLive(&plan.live, running, a, base, d.live)...)
		if len(d.fields) > 0 {
			plan.changed[a.ID] = a
			plan.fields = append(plan.fields, d.fields...)
		}
		if d.endNow {
			plan.endNow = append(plan.endNow, a.ID)
		}
	}
	for i := range prev.Activities {
		if next.Activity(prev.Activities[i].ID) == nil {
			refuse("activity", fmt.Sprintf("activity %q is gone from the file; a reload does not remove a round (end it with POST /admin/end, or restart)", prev.Activities[i].ID))
		}
	}
	return plan, refused
}

// planAdded checks a new activity of the file as PUT /admin/activity checks
// one, against the activities running and those added before it in the
// same reload; problems name its fields by its place in the file.
func planAdded(running *config.Config, a *config.Activity, field string, now time.Time, usedBefore bool) (*config.Activity, config.Problems) {
	if usedBefore {
		return nil, config.Problems{{Field: field + ".id", Message: fmt.Sprintf("%q was the id of an activity this store has records of; choose another", a.ID)}}
	}
	text, err := config.EncodeActivity(a)
	if err != nil {
		return nil, config.Problems{{Field: field, Message: err.Error()}}
	}
	added, err := running.ParseActivity(text, now)
	if err == nil {
		return added, nil
	}
	var ps config.Problems
	if !errors.As(err, &ps) {
		return nil, config.Problems{{Field: field, Message: err.Error()}}
	}
	out := make(config.Problems, len(ps))
	for i, p := range ps {
		if rest, ok := strings.CutPrefix(p.Field, "activity"); ok {
			p.Field = field + rest
		}
		out[i] = p
	}
	return nil, out
}

// liveActivityFields are the activity fields a reload changes while
// serving (texts and tier 1); liveItemFields the item fields (texts).
var (
	liveActivityFields = map[string]bool{"title": true, "fail_text": true, "delivery_hint": true, "admit_per_sec": true}
	liveItemFields     = map[string]bool{"name": true, "variant": true, "price": true}
)

// restartOnly says why a field that a reload refuses cannot change live,
// where there is more to say than that it takes a restart.
var restartOnly = map[string]string{
	"queue": "a shard's inbox bound is set once, when its loop starts; takes a restart",
	"start": "a start is fixed while the round is served: the shards' window, the gate's order of a SKU's rounds and a fair opening's close hang on it; takes a restart (or end this round and add a new one)",
}

// activityDiff is what a reload changes on one running activity.
type activityDiff struct {
	fields  []string // applied by field, for the log
	endNow  bool     // the end moved to now or before: the round ends now
	stocks  []stockChange
	live    liveChanges // a moved end, release rates, waitlists (activity unset)
	refused config.Problems
}

// diffActivity compares a running activity's file entry with next's.
func diffActivity(field string, prev, next *config.Activity, now time.Time) activityDiff {
	var d activityDiff
	refuse := func(f, why string) { d.refused = append(d.refused, config.Problem{Field: f, Message: why}) }
	for _, f := range changedFields(field, reflect.ValueOf(prev).Elem(), reflect.ValueOf(next).Elem()) {
		name := strings.TrimPrefix(f, field+".")
		switch {
		case name == "item":
			// item by item below
		case liveActivityFields[name]:
			d.fields = append(d.fields, f)
		case name == "end":
			end := endOf(prev, next)
			switch {
			case end.Equal(prev.EndTime):
			case !end.After(now) && !prev.EndTime.After(now):
				// Both in the past: the round has ended either way.
			case !end.After(now):
				d.endNow = true
				d.fields = append(d.fields, f+" (ended now)")
			case !prev.EndTime.After(now):
				refuse(f, fmt.Sprintf("the round ended at %s; an ended round stays ended (add a new round to sell again)", prev.EndTime.UTC().Format(time.RFC3339)))
			default:
				d.live.ends = append(d.live.ends, endChange{field: f, end: end})
				d.fields = append(d.fields, f+" (moved to "+end.UTC().Format(time.RFC3339)+")")
			}
		case name == "start" && startOf(prev, next).Equal(prev.StartTime):
		case restartOnly[name] != "":
			refuse(f, restartOnly[name])
		default:
			refuse(f, "changed; takes effect only at a restart")
		}
	}
	itemFields, stocks, live, problems := diffItems(field, prev.Items, next.Items)
	d.fields, d.stocks, d.refused = append(d.fields, itemFields...), stocks, append(d.refused, problems...)
	d.live.rates, d.live.waitlists = live.rates, live.waitlists
	return d
}

// startOf and endOf are next's start and end as instants, "now" and "+2h"
// read against prev's start: a file that still says start = "now" keeps
// the start the round has.
func startOf(prev, next *config.Activity) time.Time {
	if next.Start == config.StartNow {
		return prev.StartTime
	}
	return next.StartTime
}

func endOf(prev, next *config.Activity) time.Time {
	if d, ok := strings.CutPrefix(next.End, "+"); ok {
		if length, err := time.ParseDuration(d); err == nil {
			return startOf(prev, next).Add(length)
		}
	}
	return next.EndTime
}

// diffItems compares the items of a running activity: a changed stock or
// quota_percent is one set-stock (the quota is stock × quota_percent /
// 100), release_per_sec and waitlist are their own control records.
func diffItems(field string, prev, next []config.Item) (fields []string, stocks []stockChange, live liveChanges, refused config.Problems) {
	index := map[string]int{}
	for i := range prev {
		index[prev[i].SKU] = i
	}
	for j := range next {
		f := fmt.Sprintf("%s.item[%d]", field, j)
		i, ok := index[next[j].SKU]
		if !ok {
			refused = append(refused, config.Problem{Field: f, Message: fmt.Sprintf("new sku %q in a serving round: restart (or add a new round)", next[j].SKU)})
			continue
		}
		stockSet := false
		for _, c := range changedFields(f, reflect.ValueOf(prev[i]), reflect.ValueOf(next[j])) {
			name := c[strings.LastIndexByte(c, '.')+1:]
			it := &next[j]
			switch {
			case liveItemFields[name]:
			case name == "stock" || name == "quota_percent":
				if !stockSet {
					stocks = append(stocks, stockChange{field: c, sku: it.SKU, stock: uint64(it.Stock), quotaPercent: it.QuotaPercent})
					stockSet = true
				}
			case name == "release_per_sec":
				live.rates = append(live.rates, itemChange{field: c, sku: it.SKU, value: uint64(it.ReleasePerSec)})
			case name == "waitlist":
				live.waitlists = append(live.waitlists, itemChange{field: c, sku: it.SKU, value: uint64(it.Waitlist)})
			default:
				refused = append(refused, config.Problem{Field: c, Message: "changed; takes effect only at a restart"})
				continue
			}
			fields = append(fields, c)
		}
		delete(index, next[j].SKU)
	}
	for sku := range index {
		refused = append(refused, config.Problem{Field: field + ".item", Message: fmt.Sprintf("sku %q is gone from the file; a reload does not remove it: restart", sku)})
	}
	return fields, stocks, live, refused
}

// applyReload makes plan's changes: first the ones a shard may still
// refuse (the stocks and waitlists, checked against the shards when the
// plan was made, but a sale may have issued more or waitlisted more in
// between; a moved end, which an end-now may have overtaken), then the
// rest (release rates, the blocklist, texts and admission settings, new
// rounds, the ends now), then a config record (reason "reload") for each
// running activity whose recorded configuration changed. It stops at the
// first failure, returning the fields it had applied: each of those is a
// control record in the log, the rest is not made.
func (s *Server) applyReload(plan *reloadPlan) (applied []string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), blocklistTimeout)
	defer cancel()
	if applied, err = s.applyRefusable(ctx, plan); err != nil {
		return applied, err
	}
	if err := s.applyRates(ctx, plan.live.rates); err != nil {
		return applied, err
	}
	if plan.blocklist != nil {
		if err := s.SetBlocklistFromFile(*plan.blocklist); err != nil {
			return applied, fmt.Errorf("server: reload: blocklist: %w", err)
		}
	}
	for id, next := range plan.changed {
		s.applySettings(id, next)
	}
	for _, a := range plan.added {
		if err := s.addActivity(a); err != nil {
			return applied, fmt.Errorf("server: reload: add activity %s: %w", a.ID, err)
		}
	}
	for _, id := range plan.endNow {
		if _, err := s.endNow(ctx, id, engine.SourceConfig); err != nil {
			return applied, fmt.Errorf("server: reload: end activity %s now: %w", id, err)
		}
	}
	if err := s.recordReload(plan); err != nil {
		return applied, err
	}
	return plan.fields, nil
}

// applySettings puts next's texts and tier 1 rate in force on the running
// activity id and its routes.
func (s *Server) applySettings(id string, next *config.Activity) {
	s.liveMu.Lock()
	act := s.activityLocked(id)
	act.Title, act.FailText, act.DeliveryHint, act.AdmitPerSec = next.Title, next.FailText, next.DeliveryHint, next.AdmitPerSec
	for i := range act.Items {
		if it := next.Item(act.Items[i].SKU); it != nil {
			act.Items[i].Name, act.Items[i].Variant, act.Items[i].Price = it.Name, it.Variant, it.Price
		}
	}
	settings := RouteSettings(act)
	s.liveMu.Unlock()
	for _, r := range s.gate.Routes() {
		if r.Activity == id {
			r.SetSettings(settings)
		}
	}
}

// recordReload writes a config record for each running activity the
// reload changed, so the audit's report shows the change.
func (s *Server) recordReload(plan *reloadPlan) error {
	if len(plan.changed) == 0 {
		return nil
	}
	rec, err := auditlog.NewRecorder(s.store)
	if err != nil {
		return fmt.Errorf("server: audit log: %w", err)
	}
	now := time.Now()
	for _, id := range slices.Sorted(maps.Keys(plan.changed)) {
		c := ConfigRecord(s.activity(id), now)
		c.Reason = auditlog.ReasonReload
		if _, err := rec.Record(c); err != nil {
			return fmt.Errorf("server: audit log: %w", err)
		}
	}
	return nil
}

// sectionOf returns the struct of a top-level config table by its TOML name.
func sectionOf(c *config.Config, name string) reflect.Value {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if tomlName(t.Field(i)) == name {
			return v.Field(i)
		}
	}
	panic("server: no config section " + name)
}

// changedFields lists the TOML paths of the fields of a and b (structs of
// one type) that differ. Fields not read from the file (toml:"-") are
// derived from ones that are, and are skipped.
func changedFields(prefix string, a, b reflect.Value) []string {
	var out []string
	t := a.Type()
	for i := range t.NumField() {
		name := tomlName(t.Field(i))
		if name == "-" || !t.Field(i).IsExported() {
			continue
		}
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			out = append(out, prefix+"."+name)
		}
	}
	return out
}

func tomlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	return name
}
