package auditlog

import (
	"fmt"
	"strconv"
	"strings"
)

// ReasonStart is why a config record is written: the engine began serving
// (after recovery). Changes while serving are control records in the log
// (engine.Control), not config records.
const ReasonStart = "start"

// ReasonAdded is why the first config record of an activity added while
// serving (PUT /admin/activity) is written: it is in force from then on.
const ReasonAdded = "added"

// ReasonReload is why a config record is written when a reload of the
// configuration file (SIGHUP) changed an activity while serving.
const ReasonReload = "reload"

// Version is the format of the config records this package writes.
const Version = 1

// Config is one activity's effective configuration from TimeUnixNano on:
// what the configuration file said when the engine started. The assembly
// (internal/app/server) builds it from its own configuration; this package
// reads no configuration.
type Config struct {
	Version  int    `json:"version"`
	Activity string `json:"activity"`
	Title    string `json:"title"`
	// FailText and DeliveryHint are what buyers were told (a sold-out
	// answer's message, a win's hint); records written before they were
	// kept leave them out.
	FailText      string `json:"fail_text,omitempty"`
	DeliveryHint  string `json:"delivery_hint,omitempty"`
	Reason        string `json:"reason"`
	TimeUnixNano  int64  `json:"time_unix_nano"`
	StartUnixNano int64  `json:"start_unix_nano"`
	EndUnixNano   int64  `json:"end_unix_nano"`
	Limit         string `json:"limit"`       // "sku" or "activity"
	Reservation   string `json:"reservation"` // "required" or "open"
	// ReservationsDigest is read from stores written before control
	// records existed, whose config records named the reservation list in
	// force (hex uidset digest); the engine no longer writes it.
	ReservationsDigest string `json:"reservations_digest,omitempty"`
	Captcha            bool   `json:"captcha"`
	AdmitPerSec        int    `json:"admit_per_sec"`
	Queue              int    `json:"queue"`
	Items              []Item `json:"items"`

	// Seq is the record's sequence number, from its key.
	Seq uint64 `json:"-"`
}

// Item is one SKU of a Config.
type Item struct {
	SKU           string `json:"sku"`
	Stock         int64  `json:"stock"`
	QuotaPercent  int    `json:"quota_percent"`
	Quota         int64  `json:"quota"`
	Waitlist      int    `json:"waitlist,omitempty"`
	ReleasePerSec int    `json:"release_per_sec"`
	Price         int64  `json:"price"`
	Name          string `json:"name"`
	Variant       string `json:"variant"`
}

// Item returns the config's item for sku, or nil.
func (c *Config) Item(sku string) *Item {
	for i := range c.Items {
		if c.Items[i].SKU == sku {
			return &c.Items[i]
		}
	}
	return nil
}

// configPrefix starts every config record's meta key.
const configPrefix = "audit.config/"

func configKey(activity string, seq uint64) string {
	return fmt.Sprintf("%s%s/%016x", configPrefix, activity, seq)
}

// parseConfigKey splits a config record key. Activity ids cannot hold '/'
// (the config allows letters, digits, '_' and '-'), so the last '/' ends it.
func parseConfigKey(key string) (activity string, seq uint64, ok bool) {
	rest, ok := strings.CutPrefix(key, configPrefix)
	i := strings.LastIndexByte(rest, '/')
	if !ok || i <= 0 || len(rest)-i-1 != 16 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(rest[i+1:], 16, 64)
	if err != nil || seq == 0 {
		return "", 0, false
	}
	return rest[:i], seq, true
}
