// Package auditlog writes and reads what the store must hold, beside the
// winner records, for an audit that needs nothing else: the configuration
// each activity ran under, and the reservation lists it checked.
//
// A config record is one JSON document per change of an activity's
// effective configuration, stored synced under the meta key
//
//	audit.config/<activity>/<16 hex digits: sequence, from 1>
//
// with the reason it was written ("start" when the engine begins serving,
// "reservations", "pause", "resume" for the admin changes) and the time it
// took effect. The configuration in force at a win is the latest record of
// its activity whose time is not after the win's.
//
// A reservation list is stored content-addressed, once, under
//
//	audit.resv/<hex SHA-256 of the sorted uids, as uidset.Set.Digest>
//
// as zstd of: the uid count, then the first uid and the gaps between
// consecutive uids, each an unsigned varint. The config record names the
// list by that digest, and a reader checks the list it decodes against it.
//
// Usage (the engine):
//
//	rec, err := auditlog.NewRecorder(store)
//	c := auditlog.FromActivity(act, reservations, paused, auditlog.ReasonStart, time.Now())
//	written, err := rec.Record(c, reservations) // no-op when nothing changed
//
// Usage (the audit):
//
//	history, problems, err := auditlog.LoadHistory(store)
//	set, err := auditlog.LoadReservations(store, c.ReservationsDigest)
package auditlog
