package export

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"seckill/engine"
)

// CSVHeader is the first line of a CSV export; the columns are those of a
// JSON Lines record, in the same order, the three a promoted record adds
// last (state, promoted_from, round: empty on a win's line), so a consumer
// that reads the first eleven columns by position reads every line.
const CSVHeader = "activity,sku,seq,uid,ticket,time,time_unix_nano,client,prev,hash,idempotency_key,state,promoted_from,round\n"

// CSVHeaderWinsOnly is the header of CSV files written before promoted
// records were exported in CSV: the first eleven columns. ReadFile still
// reads such files.
const CSVHeaderWinsOnly = "activity,sku,seq,uid,ticket,time,time_unix_nano,client,prev,hash,idempotency_key\n"

// AppendIdempotencyKey appends the key that names one winner everywhere it
// is handed over, in the nightly file and in the live push alike, so the
// mall can deduplicate across both: activity "/" sku "/" seq. Activity and
// SKU never hold '/' (the configuration allows only [A-Za-z0-9_-]).
func AppendIdempotencyKey(dst []byte, w *engine.Win) []byte {
	dst = append(dst, w.Activity...)
	dst = append(dst, '/')
	dst = append(dst, w.SKU...)
	dst = append(dst, '/')
	return strconv.AppendUint(dst, w.Seq, 10)
}

// AppendJSON appends w as one JSON object (no newline). It writes by hand
// because encoding/json's reflection would cost more than the whole rest of
// an export; the field order is fixed and documented in docs/EXPORT.md.
func AppendJSON(dst []byte, w *engine.Win) []byte {
	dst = append(dst, `{"activity":`...)
	dst = appendJSONString(dst, w.Activity)
	dst = append(dst, `,"sku":`...)
	dst = appendJSONString(dst, w.SKU)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, w.Seq, 10)
	dst = append(dst, `,"uid":`...)
	dst = strconv.AppendUint(dst, w.UID, 10)
	dst = append(dst, `,"ticket":"`...)
	dst = hex.AppendEncode(dst, w.Ticket[:])
	dst = append(dst, `","time":"`...)
	dst = appendTime(dst, w.TimeUnixNano)
	dst = append(dst, `","time_unix_nano":`...)
	dst = strconv.AppendInt(dst, w.TimeUnixNano, 10)
	dst = append(dst, `,"client":`...)
	dst = appendClient(dst, w, false)
	dst = append(dst, `,"prev":"`...)
	dst = hex.AppendEncode(dst, w.Prev[:])
	dst = append(dst, `","hash":"`...)
	dst = hex.AppendEncode(dst, w.Hash[:])
	dst = append(dst, `","idempotency_key":`...)
	if plainJSON(w.Activity) && plainJSON(w.SKU) {
		dst = append(dst, '"')
		dst = AppendIdempotencyKey(dst, w)
		dst = append(dst, '"', '}')
		return dst
	}
	dst = appendJSONString(dst, string(AppendIdempotencyKey(nil, w)))
	return append(dst, '}')
}

// AppendCSV appends w as one CSV line (RFC 4180, with its newline).
func AppendCSV(dst []byte, w *engine.Win) []byte {
	dst = appendCSVField(dst, w.Activity)
	dst = append(dst, ',')
	dst = appendCSVField(dst, w.SKU)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, w.Seq, 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, w.UID, 10)
	dst = append(dst, ',')
	dst = hex.AppendEncode(dst, w.Ticket[:])
	dst = append(dst, ',')
	dst = appendTime(dst, w.TimeUnixNano)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, w.TimeUnixNano, 10)
	dst = append(dst, ',')
	dst = appendClient(dst, w, true)
	dst = append(dst, ',')
	dst = hex.AppendEncode(dst, w.Prev[:])
	dst = append(dst, ',')
	dst = hex.AppendEncode(dst, w.Hash[:])
	dst = append(dst, ',')
	if plainCSV(w.Activity) && plainCSV(w.SKU) {
		dst = AppendIdempotencyKey(dst, w)
	} else {
		dst = appendCSVField(dst, string(AppendIdempotencyKey(nil, w)))
	}
	return append(dst, ",,,\n"...) // a win has no state, promoted_from or round
}

// appendTime writes RFC 3339 with nanoseconds, in UTC, so that the text
// sorts like the instant it names.
func appendTime(dst []byte, unixNano int64) []byte {
	return time.Unix(0, unixNano).UTC().AppendFormat(dst, time.RFC3339Nano)
}

// appendClient writes the client address, "" when unknown: as a JSON
// string, or as a CSV field when csv is set. An IPv4 client is written
// dotted (the store keeps it IPv4-mapped), which parses back to the same 16
// bytes in the canonical encoding. Only an IPv6 zone could hold a character
// needing escapes, so every other address is written in place without
// allocating.
func appendClient(dst []byte, w *engine.Win, csv bool) []byte {
	var text string
	switch {
	case !w.Client.IsValid():
	case w.Client.Zone() != "":
		text = w.Client.String()
	case csv:
		return w.Client.AppendTo(dst)
	default:
		dst = append(dst, '"')
		dst = w.Client.AppendTo(dst)
		return append(dst, '"')
	}
	if csv {
		return appendCSVField(dst, text)
	}
	return appendJSONString(dst, text)
}

// appendJSONString quotes s for JSON. Names and addresses are plain ASCII
// in practice, which the loop copies; anything else (a byte needing an
// escape) goes through encoding/json so the output is always valid.
func appendJSONString(dst []byte, s string) []byte {
	if !plainJSON(s) {
		b, _ := json.Marshal(s) // a string always marshals
		return append(dst, b...)
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// plainJSON reports whether s can be written between quotes as it is.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// plainCSV reports whether s can be a CSV field without quotes.
func plainCSV(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ',' || c == '"' || c == '\r' || c == '\n' {
			return false
		}
	}
	return true
}

// appendCSVField quotes s when RFC 4180 requires it.
func appendCSVField(dst []byte, s string) []byte {
	if plainCSV(s) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}
