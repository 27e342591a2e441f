package wal

import (
	"fmt"
	"log"
	"os"

	"github.com/cockroachdb/pebble/v2"
)

// DefaultLogger is the Logger used when Options.Logger is nil: it drops
// pebble's Infof chatter (flushes, compactions, WAL rotation) and writes
// Errorf lines to the standard library logger (stderr).
var DefaultLogger pebble.Logger = errorsOnly{log.New(os.Stderr, "", log.LstdFlags)}

type errorsOnly struct{ l *log.Logger }

func (errorsOnly) Infof(string, ...interface{}) {}
func (e errorsOnly) Errorf(format string, args ...interface{}) {
	_ = e.l.Output(2, "pebble: "+fmt.Sprintf(format, args...))
}
func (e errorsOnly) Fatalf(format string, args ...interface{}) {
	// Never installed as pebble's Logger directly (guardLogger is), so this
	// only logs.
	_ = e.l.Output(2, "pebble: FATAL: "+fmt.Sprintf(format, args...))
}

// commitFatalFormat is the exact format DB.applyInternal (db.go) passes to
// Logger.Fatalf when DB.commit.Commit fails — in pebble v2.1.7 only a WAL
// write/sync error (which the fence keeps from pebble) gets there. That call
// runs in the goroutine that called Apply, with no pebble lock held, and
// returns nil from Apply if Fatalf returns; so for it guardLogger panics with
// a fatalPanic that Log.commit recovers.
const commitFatalFormat = "pebble: fatal commit error: %v"

// fatalPanic is the sentinel guardLogger panics with.
type fatalPanic struct{ err error }

// guardLogger is the Logger installed into pebble. It forwards Infof and
// Errorf to the user's Logger. Fatalf never exits the process: it records the
// message as the Log's failure (all later writes refuse), logs it with
// Errorf, and then
//   - for the commit-error call (commitFatalFormat) panics with fatalPanic,
//     which Log.commit turns into an ErrWrite return;
//   - for every other call returns. Those run on pebble's background
//     goroutines (MANIFEST write failures in versionSet.logAndApply during a
//     flush or compaction, invariant checks) where a panic would kill the
//     process; pebble's code after each of them returns the error to its
//     caller (a background error), which is what its own tests' non-exiting
//     InMemLogger relies on.
type guardLogger struct {
	user  pebble.Logger
	state *failState
}

func (g guardLogger) Infof(format string, args ...interface{})  { g.user.Infof(format, args...) }
func (g guardLogger) Errorf(format string, args ...interface{}) { g.user.Errorf(format, args...) }
func (g guardLogger) Fatalf(format string, args ...interface{}) {
	err := fmt.Errorf("pebble fatal: "+format, args...)
	g.user.Errorf("%v (contained by wal: not exiting)", err)
	g.state.fail(err)
	if format == commitFatalFormat {
		panic(fatalPanic{err})
	}
}
