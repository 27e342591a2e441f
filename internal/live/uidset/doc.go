// Package uidset holds a reservation list: the uids allowed to buy in a sale
// with reservation = "required". It is built for millions of uids, so it is a
// sorted array with a small bucket index rather than a map: 10 million uids
// load in well under a second and cost about 8.5 bytes each.
//
// A Set is immutable once built and safe for any number of concurrent
// readers; Contains does not allocate.
//
// Usage:
//
//	reserved, err := uidset.LoadFile(activity.ReservationsFile)
//	if err != nil {
//		return err // names the line of a malformed uid
//	}
//	if !reserved.Contains(uid) {
//		// refuse: not_reserved
//	}
//	audit.Record(reserved.Digest()) // which list was in force
//
// The file format is one decimal uid per line. Blank lines and lines whose
// first non-blank character is '#' are ignored, spaces and tabs around a uid
// and a trailing '\r' are tolerated, and duplicates are harmless.
package uidset
