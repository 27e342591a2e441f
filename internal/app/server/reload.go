package server

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"seckill/internal/config"
)

// Reload applies, while serving, what may change live between the
// configuration the engine runs and next, a fresh read of its file
// (SIGHUP): today the [blocklist], stored like the admin API's. Every other difference is refused and
// listed, each naming its field, in the returned Problems error (wrapping
// config.ErrInvalid); the changes that may be made are made even so, and
// are listed in applied. Reloads are serialized.
func (s *Server) Reload(next *config.Config) (applied []string, err error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	prev := s.fileCfg
	if prev == nil {
		prev = s.cfg
	}
	var refused config.Problems
	refuse := func(field, why string) { refused = append(refused, config.Problem{Field: field, Message: why}) }

	for _, section := range []string{"server", "admin", "auth", "export"} {
		for _, f := range changedFields(section, sectionOf(prev, section), sectionOf(next, section)) {
			refuse(f, "changed; takes effect only at a restart")
		}
	}
	if !slices.Equal(prev.Blocklist.UIDs, next.Blocklist.UIDs) || !slices.Equal(prev.Blocklist.Addrs, next.Blocklist.Addrs) {
		if err := s.SetBlocklistFromFile(next.Blocklist); err != nil {
			refuse("blocklist", err.Error())
		} else {
			applied = append(applied, "blocklist")
		}
	}
	for _, p := range diffActivities(prev.Activities, next.Activities) {
		refuse(p.Field, p.Message)
	}
	// The refused changes are not in force, so the next reload compares
	// with the file as it was, plus what was applied.
	merged := *prev
	if slices.Contains(applied, "blocklist") {
		merged.Blocklist = next.Blocklist
	}
	s.fileCfg = &merged
	if len(refused) > 0 {
		return applied, refused
	}
	return applied, nil
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

// diffActivities lists the differences between two lists of activities,
// matched by id, as refusals. (Live stock, end, new rounds and texts come
// with their control records.)
func diffActivities(prev, next []config.Activity) config.Problems {
	var out config.Problems
	index := map[string]int{}
	for i := range prev {
		index[prev[i].ID] = i
	}
	seen := map[string]bool{}
	for j := range next {
		a := &next[j]
		field := fmt.Sprintf("activity[%d]", j)
		i, ok := index[a.ID]
		if !ok {
			out = append(out, config.Problem{Field: field, Message: fmt.Sprintf("new activity %q: adding a round is not applied by a reload; restart", a.ID)})
			continue
		}
		seen[a.ID] = true
		p := &prev[i]
		ra, rb := reflect.ValueOf(p).Elem(), reflect.ValueOf(a).Elem()
		for _, f := range changedFields(field, ra, rb) {
			if f == field+".item" {
				continue // item by item below
			}
			out = append(out, config.Problem{Field: f, Message: "changed; takes effect only at a restart"})
		}
		out = append(out, diffItems(field, p.Items, a.Items)...)
	}
	for i := range prev {
		if !seen[prev[i].ID] {
			out = append(out, config.Problem{Field: "activity", Message: fmt.Sprintf("activity %q is gone from the file; a serving round is not removed by a reload (end it with POST /admin/end, or restart)", prev[i].ID)})
		}
	}
	return out
}

func diffItems(field string, prev, next []config.Item) config.Problems {
	var out config.Problems
	index := map[string]int{}
	for i := range prev {
		index[prev[i].SKU] = i
	}
	for j := range next {
		f := fmt.Sprintf("%s.item[%d]", field, j)
		i, ok := index[next[j].SKU]
		if !ok {
			out = append(out, config.Problem{Field: f, Message: fmt.Sprintf("new sku %q in a serving round: restart", next[j].SKU)})
			continue
		}
		for _, c := range changedFields(f, reflect.ValueOf(prev[i]), reflect.ValueOf(next[j])) {
			out = append(out, config.Problem{Field: c, Message: "changed; takes effect only at a restart"})
		}
		delete(index, next[j].SKU)
	}
	for sku := range index {
		out = append(out, config.Problem{Field: field + ".item", Message: fmt.Sprintf("sku %q is gone from the file; a reload does not remove it: restart", sku)})
	}
	return out
}
