// Package auditlog writes and reads what the store must hold, beside the
// winner and control records, for an audit that needs nothing else: the
// configuration each activity ran under, and the reservation lists its
// control records name.
//
// A config record is one JSON document per change of an activity's
// effective configuration at start, stored synced under the meta key
//
//	audit.config/<activity>/<16 hex digits: sequence, from 1>
//
// with the reason it was written ("start": the engine began serving) and
// the time it took effect. The configuration in force at a win is the
// latest record of its activity whose time is not after the win's. Changes
// while serving (pause, resume, reservation lists) are not config records:
// they are control records (engine.Control), in the log in sequence with
// the wins.
//
// A reservation list is stored content-addressed, once, under
//
//	audit.resv/<hex SHA-256 of the sorted uids, as uidset.Set.Digest>
//
// as zstd of: the uid count, then the first uid and the gaps between
// consecutive uids, each an unsigned varint. A control record names the
// list by that digest (it is stored, synced, before the record), and a
// reader checks the list it decodes against it.
//
// The package reads no configuration: the assembly (internal/app/server)
// builds each Config from its own.
//
// Usage (the engine):
//
//	rec, err := auditlog.NewRecorder(store)
//	written, err := rec.Record(cfg)                 // no-op when nothing changed
//	err = auditlog.StoreReservations(store, set)    // before a control record names it
//
// Usage (the audit, recovery):
//
//	history, problems, err := auditlog.LoadHistory(store)
//	set, err := auditlog.LoadReservations(store, digestHex)
package auditlog
