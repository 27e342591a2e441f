package config

import (
	"net/netip"
	"time"
)

// Config is the whole configuration. Fields tagged toml:"-" are not read from
// the file; Parse derives them from their text forms, and programs that build
// a Config in code may set them directly.
type Config struct {
	Server     Server     `toml:"server"`
	Admin      Admin      `toml:"admin"`
	Auth       Auth       `toml:"auth"`
	Export     Export     `toml:"export"`
	Blocklist  Blocklist  `toml:"blocklist"`
	Activities []Activity `toml:"activity"`

	// BaseDir is the directory relative paths were taken against (the
	// config file's); an activity added while serving (ParseActivity)
	// takes its relative paths against it too.
	BaseDir string `toml:"-"`

	// resolveProblems holds what Parse found while deriving the typed fields
	// (a bad time, an unreadable secret_file); Validate reports them along
	// with its own checks so that one error lists everything.
	resolveProblems Problems
}

// Server configures the listeners, the store and the limits that protect the
// process. Durations are written as Go duration strings ("5s", "1m30s"); a
// zero or absent value means the default.
type Server struct {
	Listen          string        `toml:"listen"`           // public listener, host:port
	AdminListen     string        `toml:"admin_listen"`     // admin API, host:port; empty = off
	DataDir         string        `toml:"data_dir"`         // the durable store, relative to the working directory
	ReadBuffer      int           `toml:"read_buffer"`      // bytes; a longer request head gets 431
	IdleTimeout     time.Duration `toml:"idle_timeout"`     // an incomplete request is closed after this
	MaxConnections  int           `toml:"max_connections"`  // 0 = derived from the file-descriptor limit
	BatchMax        int           `toml:"batch_max"`        // most attempts a shard steps per group commit
	PerAddrPerSec   int           `toml:"per_addr_per_sec"` // attempts per client IP per second; 0 = no limit
	ShutdownTimeout time.Duration `toml:"shutdown_timeout"` // how long a graceful stop may drain
	DrainDelay      time.Duration `toml:"drain_delay"`      // /healthz says draining this long before the listener closes; "0s" = off
	RetryAfter      time.Duration `toml:"retry_after"`      // what a busy reply tells clients to wait
	FrontEnd        string        `toml:"front_end"`        // "netpoll", "nethttp" or "floor"
	MaxHeadBytes    int           `toml:"max_head_bytes"`   // longest head streamed through read_buffer; longer gets 431
	CORSOrigins     []string      `toml:"cors_origins"`     // origins whose pages may call the API with credentials
	ProxyProtocol   bool          `toml:"proxy_protocol"`   // PROXY v1/v2 required from trusted_proxies
	TrustedProxies  []string      `toml:"trusted_proxies"`  // CIDRs of the balancers whose PROXY header and X-Forwarded-For are believed

	// ParsedTrustedProxies is TrustedProxies parsed, masked and unmapped.
	ParsedTrustedProxies []netip.Prefix `toml:"-"`

	drainDelayOff bool // drain_delay was written as zero: no delay, not the default
}

// Admin configures who may use the admin API (package admin): the bearer
// token every request must carry and the Host names it answers to.
type Admin struct {
	Token     string   `toml:"token"`      // the bearer token, inline
	TokenFile string   `toml:"token_file"` // or a file holding it, relative to the config file
	Hosts     []string `toml:"hosts"`      // Host names the admin API answers to besides its own address

	// TokenBytes is the token from Token or from TokenFile's content; empty
	// when neither is set, and then the engine generates one at start
	// (AdminTokenPath).
	TokenBytes []byte `toml:"-"`
}

// Auth configures how a request proves which uid it buys for.
type Auth struct {
	Mode          string        `toml:"mode"`           // "hmac" or "none"
	Secret        string        `toml:"secret"`         // the HMAC key, inline
	SecretFile    string        `toml:"secret_file"`    // or a file holding it, relative to the config file
	TokenMaxTTL   time.Duration `toml:"token_max_ttl"`  // tokens expiring further ahead are refused
	CaptchaSecret string        `toml:"captcha_secret"` // the key of captcha passes; needed when an activity sets captcha

	// SecretBytes is the HMAC key from Secret or from SecretFile's content.
	SecretBytes []byte `toml:"-"`
}

// Export configures the hand-off of winners to the mall: where export files
// may go, and the live push.
type Export struct {
	// Dir is the only directory export files are written to (relative to
	// the working directory, like data_dir); an export names a bare file in
	// it. It may not be data_dir or inside it: a file named like one of
	// the store's could damage it.
	Dir             string        `toml:"dir"`
	PushURL         string        `toml:"push_url"`          // http(s) URL; empty = off
	PushSecret      string        `toml:"push_secret"`       // the key that signs each batch, inline
	PushSecretFile  string        `toml:"push_secret_file"`  // or a file holding it, relative to the config file
	PushCAFile      string        `toml:"push_ca_file"`      // PEM roots for an https push_url; empty = the system's
	PushBatch       int           `toml:"push_batch"`        // records per POST
	PushTimeout     time.Duration `toml:"push_timeout"`      // of one POST, answer included
	PushMaxAttempts int           `toml:"push_max_attempts"` // failed POSTs before a record is parked as failed
	PushBackoff     time.Duration `toml:"push_backoff"`      // ceiling of the first retry's wait
	PushBackoffMax  time.Duration `toml:"push_backoff_max"`  // ceiling of any retry's wait

	// PushSecretBytes is the signing key from PushSecret or from
	// PushSecretFile's content.
	PushSecretBytes []byte `toml:"-"`
}

// Blocklist names buyers that are refused outright.
type Blocklist struct {
	UIDs  []uint64 `toml:"uids"`
	Addrs []string `toml:"addrs"` // IPv4 or IPv6 addresses

	// ParsedAddrs is Addrs parsed and unmapped, so an IPv4 client seen on a
	// dual-stack socket as ::ffff:1.2.3.4 matches "1.2.3.4".
	ParsedAddrs []netip.Addr `toml:"-"`
}

// Activity is one sale: a time window and the items sold in it.
type Activity struct {
	ID               string `toml:"id"`
	Title            string `toml:"title"`
	Start            string `toml:"start"` // RFC 3339, or "now" for the process start
	End              string `toml:"end"`   // RFC 3339, or "+2h" for start plus a duration
	Captcha          bool   `toml:"captcha"`
	Reservation      string `toml:"reservation"`       // "required" or "open"
	ReservationsFile string `toml:"reservations_file"` // uids allowed to buy, relative to the config file
	Limit            string `toml:"limit"`             // one win per uid per "sku" or per "activity"
	FailText         string `toml:"fail_text"`
	DeliveryHint     string `toml:"delivery_hint"`
	AdmitPerSec      int    `toml:"admit_per_sec"` // tier 1, per SKU; 0 = no limit
	Queue            int    `toml:"queue"`         // tier 2, per SKU inbox bound
	// PayWithin is how long a winner has to pay in the mall; after it the
	// mall may report the qualification lapsed (POST /admin/qualification).
	PayWithin time.Duration `toml:"pay_within"`
	Items     []Item        `toml:"item"`

	// The fair opening (lottery.go): a lottery window from the start.
	OpeningLottery     time.Duration `toml:"opening_lottery"`      // 0 = off
	LotteryBeacon      string        `toml:"lottery_beacon"`       // the promised beacon's name; "" = none
	LotterySeedFile    string        `toml:"lottery_seed_file"`    // 32 bytes (raw or hex); "" = generated, kept in the store
	LotteryMaxEntrants int           `toml:"lottery_max_entrants"` // per SKU; over it busy until the window closes
	// LotterySeed is the seed read from LotterySeedFile (HasLotterySeed
	// when one was).
	LotterySeed    [32]byte `toml:"-"`
	HasLotterySeed bool     `toml:"-"`

	// StartTime and EndTime are Start and End resolved; the window is
	// [StartTime, EndTime).
	StartTime time.Time `toml:"-"`
	EndTime   time.Time `toml:"-"`
}

// Item is one SKU on sale in an activity.
type Item struct {
	SKU           string `toml:"sku"`
	Name          string `toml:"name"`
	Variant       string `toml:"variant"`
	Price         int64  `toml:"price"` // in the mall's own integer price unit; shown, never charged here
	Stock         int64  `toml:"stock"`
	ReleasePerSec int    `toml:"release_per_sec"` // tier 3; 0 = no limit
	QuotaPercent  int    `toml:"quota_percent"`   // qualifications per 100 units of stock (the seed's cart percentage)
	Waitlist      int    `toml:"waitlist"`        // further eligible users who may queue for a lapsed qualification
}

// Quota is how many qualifications the sale issues: stock*quota_percent/100,
// rounded down. Validate guarantees it is at least 1. Above 100 the sale
// overbooks (the seed's 300 issues three qualifications per unit, because
// most winners never pay).
func (it Item) Quota() int64 {
	return it.Stock * int64(it.QuotaPercent) / 100
}
