package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
)

// Control is one control record: a change to how a shard sells (pause,
// resume, a new reservation list, a new stock, the end of the round, a new
// blocklist, and in later kinds qualifications, lottery steps), decided by
// the shard in
// sequence with its attempts and written to the same log as its wins, so
// recovery and the audit apply it at exactly the place the live sale did.
//
// A SKU's control records form a hash chain of their own (Seq 1.., Prev the
// Hash of the record before), bound to the win chain by AfterWins and
// WinHead: a record comes after win AfterWins and before win AfterWins+1.
// Hash covers every field except Set.
//
// The generic fields Num, UID, Digest and Data carry a kind's arguments;
// each kind says which it uses and the rest stay zero (Shard checks). A new
// kind therefore needs a ControlKind constant, its row in controlKinds, and
// its case in Shard.applyControl: the record format, the log, the audit's
// chain checks and the shard loop stay as they are.
type Control struct {
	Activity     string
	SKU          string
	Seq          uint64   // 1.. within (Activity, SKU), no gaps
	AfterWins    uint64   // the SKU's wins when the shard applied it
	WinHead      [32]byte // Hash of win AfterWins; zero when AfterWins is 0
	Kind         ControlKind
	Source       ControlSource
	TimeUnixNano int64
	Num          uint64
	UID          uint64
	Digest       [32]byte
	Data         []byte // at most MaxControlData bytes
	Prev         [32]byte
	Hash         [32]byte

	// Set is the reservation list a ControlReservations installs, whose
	// digest (uidset.Set.Digest) is Digest. It is not part of the record:
	// the live caller hands it in, recovery and the audit load it by
	// Digest from the store.
	Set Reservations
	// Blocklist is the list a ControlBlocklist installs, whose digest
	// (Blocklist.Digest) is Digest; like Set, not part of the record.
	Blocklist *Blocklist
}

// ControlKind says what a control record changes. The values are stored in
// the log and must never be renumbered.
type ControlKind uint8

const (
	// ControlPause stops selling: buys answer unavailable. No arguments.
	ControlPause ControlKind = 1
	// ControlResume sells again after a pause. No arguments.
	ControlResume ControlKind = 2
	// ControlReservations puts a reservation list in force: Digest is its
	// digest, Num its uid count, Set the list itself.
	ControlReservations ControlKind = 3
	// ControlSetStock sets the SKU's stock: Num is the new stock, Data the
	// quota it gives (8 bytes, big-endian: stock × quota_percent / 100,
	// computed by the caller with the percentage in force, so the record
	// means the same whatever a later configuration says). Refused when the
	// quota is below the qualifications already issued. See
	// control_stock.go.
	ControlSetStock ControlKind = 4
	// ControlEndNow ends the round: every buy decided after it answers
	// ended. No arguments. See control_end.go.
	ControlEndNow ControlKind = 5
	// ControlBlocklist puts a blocklist in force: Digest is its digest, Num
	// its entry count, Blocklist the list itself. The blocklist is global,
	// so every change is one record on every shard. See
	// control_blocklist.go.
	ControlBlocklist ControlKind = 6
	// ControlSetEnd moves the round's end: Num is the new end in unix
	// nanoseconds (a time as a value; the shard compares each attempt's
	// time with it from the record on). Refused for a round that has
	// ended, and for an end not after the record's own time (end the round
	// now instead). See control_live.go.
	ControlSetEnd ControlKind = 15
	// ControlReleaseRate sets tier 3, the winners a shard releases per
	// second: Num is the new release_per_sec (0 = no limit, at most
	// 2^32-1). See control_live.go.
	ControlReleaseRate ControlKind = 16
	// ControlSetWaitlist sets how many users may wait for a lapsed
	// qualification: Num is the new waitlist length, never below the users
	// already waitlisted. See control_live.go.
	ControlSetWaitlist ControlKind = 17
	// The fair opening's records (lottery.go): the commitment, entrants,
	// the beacon, the draw.
	ControlLotteryCommit   ControlKind = 11
	ControlLotteryEntrants ControlKind = 12
	ControlLotteryBeacon   ControlKind = 13
	ControlLotteryDraw     ControlKind = 14
)

// ControlSource says who asked for a control change.
type ControlSource uint8

const (
	// SourceOperator is a change through the admin API.
	SourceOperator ControlSource = 0
	// SourceConfig is the configuration file, applied at start (or, later,
	// on a reload): a restart records the file's settings only when they
	// differ from the ones the file gave last time, so a change the
	// operator made while serving survives a restart with the same file.
	SourceConfig ControlSource = 1
)

// controlArgs says which generic fields a kind uses.
type controlArgs uint8

const (
	argNum controlArgs = 1 << iota
	argUID
	argDigest
	argData
)

var controlKinds = map[ControlKind]struct {
	name string
	args controlArgs
}{
	ControlPause:           {"pause", 0},
	ControlResume:          {"resume", 0},
	ControlReservations:    {"reservations", argNum | argDigest},
	ControlSetStock:        {"set_stock", argNum | argData},
	ControlEndNow:          {"end_now", 0},
	ControlBlocklist:       {"blocklist", argNum | argDigest},
	ControlSetEnd:          {"set_end", argNum},
	ControlReleaseRate:     {"release_rate", argNum},
	ControlSetWaitlist:     {"set_waitlist", argNum},
	ControlWaitlisted:      {"waitlisted", argNum | argUID},
	ControlPaid:            {"paid", argNum | argUID},
	ControlLapsed:          {"lapsed", argNum | argUID},
	ControlPromoted:        {"promoted", argNum | argUID | argDigest},
	ControlLotteryCommit:   {"lottery_commit", argNum | argDigest | argData},
	ControlLotteryEntrants: {"lottery_entrants", argNum | argData},
	ControlLotteryBeacon:   {"lottery_beacon", argData},
	ControlLotteryDraw:     {"lottery_draw", argNum | argDigest | argData},
}

func (k ControlKind) String() string {
	if info, ok := controlKinds[k]; ok {
		return info.name
	}
	return "unknown"
}

func (s ControlSource) String() string {
	switch s {
	case SourceConfig:
		return "config"
	case SourceSale:
		return "sale"
	}
	return "operator"
}

// Layout of the canonical encoding of a control record: what Hash covers and
// the body of the stored record (see package wal for the table).
const (
	controlVersion      = 1
	controlTag          = 'C'
	coSeq               = 2
	coAfterWins         = coSeq + 8
	coWinHead           = coAfterWins + 8
	coKind              = coWinHead + 32
	coSource            = coKind + 1
	coTime              = coSource + 1
	coNum               = coTime + 8
	coUID               = coNum + 8
	coDigest            = coUID + 8
	coPrev              = coDigest + 32
	coNames             = coPrev + 32
	ControlFixedBytes   = coNames
	controlDataLenBytes = 2
	controlLenBytes     = 1 + 1 + controlDataLenBytes // the length bytes of activity, SKU and data
	// MaxControlData bounds Data: room for a list of a few dozen ids or a
	// beacon value, while a record stays small enough to hash on the stack.
	MaxControlData     = 1024
	MaxControlBodySize = ControlFixedBytes + controlLenBytes + 2*maxNameBytes + MaxControlData
)

// ErrBadControl reports an encoded control record that cannot be decoded,
// or a control record whose kind or arguments are not valid.
var ErrBadControl = errors.New("engine: malformed control record")

// AppendControlCanonical appends the canonical encoding of c without its
// Hash. c.Data must be at most MaxControlData bytes.
func AppendControlCanonical(dst []byte, c *Control) []byte {
	var fixed [ControlFixedBytes]byte
	fixed[0] = controlVersion
	fixed[1] = controlTag
	binary.BigEndian.PutUint64(fixed[coSeq:], c.Seq)
	binary.BigEndian.PutUint64(fixed[coAfterWins:], c.AfterWins)
	copy(fixed[coWinHead:], c.WinHead[:])
	fixed[coKind] = byte(c.Kind)
	fixed[coSource] = byte(c.Source)
	binary.BigEndian.PutUint64(fixed[coTime:], uint64(c.TimeUnixNano))
	binary.BigEndian.PutUint64(fixed[coNum:], c.Num)
	binary.BigEndian.PutUint64(fixed[coUID:], c.UID)
	copy(fixed[coDigest:], c.Digest[:])
	copy(fixed[coPrev:], c.Prev[:])
	dst = append(dst, fixed[:]...)
	dst = append(dst, byte(len(c.Activity)))
	dst = append(dst, c.Activity...)
	dst = append(dst, byte(len(c.SKU)))
	dst = append(dst, c.SKU...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(c.Data)))
	return append(dst, c.Data...)
}

// ControlCanonicalLen is the length of c's canonical encoding.
func ControlCanonicalLen(c *Control) int {
	return ControlFixedBytes + controlLenBytes + len(c.Activity) + len(c.SKU) + len(c.Data)
}

// DecodeControlCanonical parses a body written by AppendControlCanonical into
// c and returns the number of bytes it used. Data is copied; Set and Hash
// are left alone.
func DecodeControlCanonical(b []byte, c *Control) (int, error) {
	if len(b) < ControlFixedBytes+controlLenBytes || b[0] != controlVersion || b[1] != controlTag {
		return 0, ErrBadControl
	}
	c.Seq = binary.BigEndian.Uint64(b[coSeq:])
	c.AfterWins = binary.BigEndian.Uint64(b[coAfterWins:])
	copy(c.WinHead[:], b[coWinHead:coWinHead+32])
	c.Kind = ControlKind(b[coKind])
	c.Source = ControlSource(b[coSource])
	c.TimeUnixNano = int64(binary.BigEndian.Uint64(b[coTime:]))
	c.Num = binary.BigEndian.Uint64(b[coNum:])
	c.UID = binary.BigEndian.Uint64(b[coUID:])
	copy(c.Digest[:], b[coDigest:coDigest+32])
	copy(c.Prev[:], b[coPrev:coPrev+32])
	act, n, ok := decodeName(b, coNames)
	if !ok {
		return 0, ErrBadControl
	}
	sku, n, ok := decodeName(b, n)
	if !ok || n+controlDataLenBytes > len(b) {
		return 0, ErrBadControl
	}
	dl := int(binary.BigEndian.Uint16(b[n:]))
	n += controlDataLenBytes
	if dl > MaxControlData || n+dl > len(b) {
		return 0, ErrBadControl
	}
	c.Activity, c.SKU = string(act), string(sku)
	c.Data = nil
	if dl > 0 {
		c.Data = append([]byte(nil), b[n:n+dl]...)
	}
	return n + dl, nil
}

// ComputeControlHash returns the chain hash of c: SHA-256 over its canonical
// encoding, which includes Prev and WinHead.
func ComputeControlHash(c *Control) [32]byte {
	var buf [MaxControlBodySize]byte
	return sha256.Sum256(AppendControlCanonical(buf[:0], c))
}

// Valid reports whether c is of a known kind and source, leaves the fields
// its kind does not use zero, and gives a set-stock its 8-byte quota.
func (c *Control) Valid() bool {
	info, ok := controlKinds[c.Kind]
	if !ok || c.Source > SourceSale || len(c.Data) > MaxControlData {
		return false
	}
	return (info.args&argNum != 0 || c.Num == 0) &&
		(info.args&argUID != 0 || c.UID == 0) &&
		(info.args&argDigest != 0 || c.Digest == [32]byte{}) &&
		(info.args&argData != 0 || len(c.Data) == 0) &&
		(c.Kind != ControlSetStock || len(c.Data) == stockDataBytes)
}
