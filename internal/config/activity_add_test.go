package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestParseActivity: one [[activity]] added to a running configuration is
// checked by the file's rules, all problems at once with the new
// activity's fields named "activity.…", and a clash with a running round
// is a conflict rather than a plain problem.
func TestParseActivity(t *testing.T) {
	running, err := Parse([]byte(validAuth+validActivity), t.TempDir(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	round := func(id, start, sku, extra string) string {
		return "[[activity]]\nid = \"" + id + "\"\nstart = \"" + start + "\"\nend = \"+1h\"\n" + extra +
			"  [[activity.item]]\n  sku = \"" + sku + "\"\n  stock = 5\n"
	}
	tests := []struct {
		name     string
		body     string
		conflict bool
		fields   []string // problems; none = accepted
	}{
		{"a later round of the same sku", round("a2", "2021-01-12T14:00:00Z", "s1", ""), false, nil},
		{"another product, now", round("a2", "now", "s9", ""), false, nil},
		{"every problem", "[[activity]]\nid = \"bad id\"\nstart = \"soon\"\nend = \"+1h\"\nqueue = -1\nlimit = \"x\"\n  [[activity.item]]\n  sku = \"s9\"\n  stock = 0\n",
			false, []string{"activity.id", "activity.start", "activity.queue", "activity.limit", "activity.item[0].stock"}},
		{"an unknown key", round("a2", "now", "s9", "colour = \"red\"\n"), false, []string{"activity.colour"}},
		{"another table", "[server]\nlisten = \":1\"\n" + round("a2", "now", "s9", ""), false, []string{"server"}},
		{"two activities", round("a2", "now", "s9", "") + round("a3", "now", "s8", ""), false, []string{"activity"}},
		{"none", "", false, []string{"activity"}},
		{"a fair opening", round("a2", "2021-01-12T14:00:00Z", "s9", "opening_lottery = \"500ms\"\n"), false, []string{"activity.opening_lottery"}},
		{"the running id", round("a1", "2021-01-12T20:00:00Z", "s9", ""), true, []string{"activity.id"}},
		{"a sku on sale then", round("a2", "2021-01-12T13:00:00Z", "s1", ""), true, []string{"activity.item[0].sku"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := running.ParseActivity([]byte(tc.body), testNow)
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if a.Queue != DefaultQueue || a.FailText != DefaultFailText || !a.EndTime.After(a.StartTime) {
					t.Fatalf("not defaulted and resolved: %+v", a)
				}
				return
			}
			if errors.Is(err, ErrConflict) != tc.conflict {
				t.Fatalf("conflict %v, want %v: %v", errors.Is(err, ErrConflict), tc.conflict, err)
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("not Problems: %v", err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.Field)
			}
			for _, f := range tc.fields {
				if !slices.Contains(got, f) {
					t.Errorf("no problem names %s: %v", f, err)
				}
			}
		})
	}
	if len(running.Activities) != 1 {
		t.Fatalf("ParseActivity changed the running configuration: %d activities", len(running.Activities))
	}
}

// TestEncodeActivityRoundTrip: an added activity is stored as TOML that
// reads back to the same activity later, start = "now" included.
func TestEncodeActivityRoundTrip(t *testing.T) {
	running, err := Parse([]byte(validAuth+validActivity), t.TempDir(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	body := "[[activity]]\nid = \"a2\"\ntitle = \"Round \\\"2\\\"\"\nstart = \"now\"\nend = \"+90m\"\nfail_text = \"next time\"\nadmit_per_sec = 7\n" +
		"  [[activity.item]]\n  sku = \"s9\"\n  name = \"Nine\"\n  stock = 5\n  quota_percent = 80\n"
	a, err := running.ParseActivity([]byte(body), testNow.Add(123456789))
	if err != nil {
		t.Fatal(err)
	}
	text, err := EncodeActivity(a)
	if err != nil {
		t.Fatal(err)
	}
	b, err := running.ParseActivity(text, testNow.Add(99e9))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if !b.StartTime.Equal(a.StartTime) || !b.EndTime.Equal(a.EndTime) {
		t.Fatalf("window %v-%v, want %v-%v", b.StartTime, b.EndTime, a.StartTime, a.EndTime)
	}
	a.Start, a.End, b.Start, b.End = "", "", "", ""
	a.StartTime, a.EndTime, b.StartTime, b.EndTime = a.StartTime.UTC(), a.EndTime.UTC(), b.StartTime.UTC(), b.EndTime.UTC()
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("read back\n%+v\nwant\n%+v\nfrom\n%s", b, a, text)
	}
	if !strings.Contains(string(text), "title = ") {
		t.Fatalf("no title in\n%s", text)
	}
}
