package replay

import "fmt"

// Report is what Audit found. Its JSON form (seckill replay -json) is a
// stable document: fields keep their names and order, rows and offending
// records follow the log's key order (activity, SKU, seq; findings that
// need the whole log come after), and it holds nothing that depends on when
// or where the audit ran, or on how many workers ran it.
type Report struct {
	// OK is true when every check passed and no tail is truncated.
	OK bool `json:"ok"`
	// Records counts every winner record read, good or bad.
	Records        uint64       `json:"records"`
	SKUs           []SKURow     `json:"skus"`
	Checks         []Check      `json:"checks"`
	TruncatedTails []Truncation `json:"truncated_tails"`
	Digests        []Digest     `json:"digests"`
	Configs        []ConfigNote `json:"configs"`
	// ControlRecords counts every control record read, good or bad.
	ControlRecords uint64 `json:"control_records"`
	// Changes lists every control record that decoded: each change to a
	// sale (pause, resume, lists, stock, end, blocklist), where it was
	// decided and by whom.
	Changes []Change `json:"changes"`
}

// SKURow sums up one (activity, SKU). Stock and quota are those of the SKU's
// last set-stock control record, or else of the latest config record naming
// the SKU; times are Unix nanoseconds, 0 when there is no win.
type SKURow struct {
	Activity         string `json:"activity"`
	SKU              string `json:"sku"`
	Stock            int64  `json:"stock"`
	Quota            int64  `json:"quota"`
	Winners          uint64 `json:"winners"`
	FirstWinUnixNano int64  `json:"first_win_unix_nano"`
	LastWinUnixNano  int64  `json:"last_win_unix_nano"`
	PeakPerSec       uint64 `json:"peak_wins_per_sec"`
	ChainHead        string `json:"chain_head"` // hash of the last record, hex; empty when none
	Controls         uint64 `json:"controls"`   // control records of the SKU
	// Lottery is the SKU's fair opening, re-derived (nil when none).
	Lottery *LotteryRow `json:"lottery,omitempty"`

	stockSet bool // Stock and Quota come from a set-stock record
}

// Check is one invariant and the records that break it. At most
// Options.MaxListed records are listed; Offending counts them all.
type Check struct {
	Name      string    `json:"name"`
	Title     string    `json:"title"`
	Pass      bool      `json:"pass"`
	Offending int       `json:"offending"`
	Records   []Offense `json:"records"`
}

// Offense is one record that breaks a check. For a finding about a whole
// activity or SKU (a published digest that differs, a missing head marker)
// the fields that do not apply are zero.
type Offense struct {
	Activity     string `json:"activity"`
	SKU          string `json:"sku"`
	Seq          uint64 `json:"seq"`
	UID          uint64 `json:"uid"`
	TimeUnixNano int64  `json:"time_unix_nano"`
	Reason       string `json:"reason"`
}

// Truncation is a SKU whose log ends before its head marker says: the last
// records of the chain never reached the disk, or did only in part. It is
// reported apart from the checks because it is what a crash mid-write
// leaves (or a disk that lost synced data), not an edit.
type Truncation struct {
	Activity string `json:"activity"`
	SKU      string `json:"sku"`
	// LastSeq is the last record that could be read; HeadSeq is the seq
	// the head marker names (0 when there is none). Partial is set when a
	// last record is present but does not decode: written in part.
	LastSeq uint64 `json:"last_seq"`
	HeadSeq uint64 `json:"head_seq"`
	Partial bool   `json:"partial"`
	// Controls is set when the strand that ends early is the SKU's control
	// records (the seqs are then control seqs).
	Controls bool `json:"controls"`
}

// Digest is an activity's digest (engine.ActivityDigest over its chain heads)
// recomputed from the records, the one its head markers commit to, and the
// published one the operator gave the audit, if any.
type Digest struct {
	Activity  string `json:"activity"`
	Digest    string `json:"digest"`
	Committed string `json:"committed"`
	Published string `json:"published"`
}

// ConfigNote is one config record of the history the audit used.
type ConfigNote struct {
	Activity     string `json:"activity"`
	Seq          uint64 `json:"seq"`
	Reason       string `json:"reason"`
	TimeUnixNano int64  `json:"time_unix_nano"`
}

// The checks, in report order.
const (
	CheckConfig = iota
	CheckQuota
	CheckSeq
	CheckLimit
	CheckReservation
	CheckWindow
	CheckReleaseRate
	CheckPaused
	CheckBlocked
	CheckTickets
	CheckChain
	CheckDigest
	CheckEconomics
	CheckLottery
	numChecks
)

var checkInfo = [numChecks]struct{ name, title string }{
	CheckConfig:      {"config", "every win has its activity's configuration recorded"},
	CheckQuota:       {"quota", "winners within the quota in force"},
	CheckSeq:         {"seq", "seq runs 1..n with no gaps or repeats"},
	CheckLimit:       {"limit", "no uid over its purchase limit (per sku or per activity)"},
	CheckReservation: {"reservation", "every winner was reserved where reservation is required"},
	CheckWindow:      {"window", "every win inside its activity's window"},
	CheckReleaseRate: {"release_rate", "release_per_sec never exceeded"},
	CheckPaused:      {"paused", "no win while its SKU was paused"},
	CheckBlocked:     {"blocked", "no win for a uid or client address on the blocklist in force"},
	CheckTickets:     {"tickets", "every ticket verifies"},
	CheckChain:       {"chain", "every record decodes and the hash chains, wins and controls, are intact"},
	CheckDigest:      {"digest", "the log ends where the head markers say; digests match the published ones"},
	CheckEconomics: {"economics", "qualifications held never above the quota; waitlist places in order and only once all is issued; " +
		"every promotion follows a lapse of the same seq, to the first waiting; a stock raise's new seqs go to the waiting users first, in order; " +
		"no uid holding two; nothing lapsed or promoted after paid"},
	CheckLottery: {"lottery", "every opening draw re-derived from its entrants, committed seed and beacon gives the recorded winners"},
}

// checkList accumulates a check's offenses. An offense about the same
// record as the previous one is merged into it, so a record counts once per
// check however many reasons it has.
type checkList struct {
	max     int
	count   int
	listed  []Offense
	lastKey offenseKey
	hasLast bool
}

type offenseKey struct {
	activity, sku string
	seq           uint64
}

func (c *checkList) add(o Offense) {
	k := offenseKey{o.Activity, o.SKU, o.Seq}
	if c.hasLast && k == c.lastKey && o.Seq != 0 {
		if n := len(c.listed); n > 0 && c.listed[n-1].Activity == o.Activity && c.listed[n-1].SKU == o.SKU && c.listed[n-1].Seq == o.Seq {
			c.listed[n-1].Reason += "; " + o.Reason
		}
		return
	}
	c.lastKey, c.hasLast = k, true
	c.count++
	if len(c.listed) < c.max {
		c.listed = append(c.listed, o)
	}
}

// merge appends the findings of o, a later part of the log, to c.
func (c *checkList) merge(o *checkList) {
	c.count += o.count
	for _, off := range o.listed {
		if len(c.listed) < c.max {
			c.listed = append(c.listed, off)
		}
	}
	c.hasLast = false
}

func (c *checkList) result(i int) Check {
	listed := c.listed
	if listed == nil {
		listed = []Offense{}
	}
	return Check{Name: checkInfo[i].name, Title: checkInfo[i].title, Pass: c.count == 0, Offending: c.count, Records: listed}
}

func (o Offense) String() string {
	switch {
	case o.Activity == "":
		return o.Reason
	case o.SKU == "":
		return fmt.Sprintf("%s: %s", o.Activity, o.Reason)
	case o.Seq == 0:
		return fmt.Sprintf("%s/%s: %s", o.Activity, o.SKU, o.Reason)
	}
	return fmt.Sprintf("%s/%s seq %d uid %d: %s", o.Activity, o.SKU, o.Seq, o.UID, o.Reason)
}
