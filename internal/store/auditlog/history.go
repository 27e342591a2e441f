package auditlog

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Problem is a stored config record the audit cannot use.
type Problem struct {
	Key    string
	Reason string
}

// LoadHistory reads every config record, by activity, ordered by time (and
// by sequence between records of the same time). Records that do not decode,
// or whose key and content disagree, are returned as problems and left out.
func LoadHistory(store Store) (map[string][]Config, []Problem, error) {
	history := map[string][]Config{}
	var problems []Problem
	err := store.ScanMeta(configPrefix, func(key string, value []byte) error {
		act, seq, ok := parseConfigKey(key)
		if !ok {
			problems = append(problems, Problem{key, "malformed config record key"})
			return nil
		}
		var c Config
		if err := json.Unmarshal(value, &c); err != nil {
			problems = append(problems, Problem{key, fmt.Sprintf("config record does not decode: %v", err)})
			return nil
		}
		if c.Activity != act {
			problems = append(problems, Problem{key, fmt.Sprintf("config record of activity %q stored under %q", c.Activity, act)})
			return nil
		}
		if c.Version != Version {
			problems = append(problems, Problem{key, fmt.Sprintf("config record version %d, this audit reads %d", c.Version, Version)})
			return nil
		}
		c.Seq = seq
		history[act] = append(history[act], c)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("auditlog: read config records: %w", err)
	}
	for _, cs := range history {
		slices.SortStableFunc(cs, func(a, b Config) int {
			if a.TimeUnixNano != b.TimeUnixNano {
				return cmpInt64(a.TimeUnixNano, b.TimeUnixNano)
			}
			return cmpInt64(int64(a.Seq), int64(b.Seq))
		})
	}
	return history, problems, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
