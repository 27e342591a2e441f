package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// ErrWorker reports a worker process that failed or said nothing useful.
var ErrWorker = errors.New("bench: worker process")

// Split divides s into n specs that together do s's job: users (and their
// uid ranges), connections, rate, count and source addresses are shared
// out; every part keeps the same start time so their series align.
func Split(s Spec, n int) []Spec {
	n = max(n, 1)
	parts := make([]Spec, n)
	base := s.UIDBase
	for i := range parts {
		p := s
		p.Users = share(s.Users, n, i)
		p.UIDBase = base
		base += uint64(p.Users)
		p.Conns = max(share(s.Conns, n, i), 1)
		p.Rate = s.Rate / float64(n)
		p.Count = int64(share(int(s.Count), n, i))
		if len(s.Sources) >= n {
			p.Sources = s.Sources[len(s.Sources)*i/n : len(s.Sources)*(i+1)/n]
		}
		parts[i] = p
	}
	return parts
}

// share is part i of total split n ways, the remainder going to the first.
func share(total, n, i int) int {
	q, r := total/n, total%n
	if i < r {
		return q + 1
	}
	return q
}

// message is one line of the worker protocol on a worker's stdout.
type message struct {
	Progress *Progress `json:"progress,omitempty"`
	Held     *int64    `json:"held,omitempty"`
	Partial  *Partial  `json:"partial,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// releaseLine on a worker's stdin ends its hold.
const releaseLine = "release\n"

// ServeWorker is a worker process's whole life: read the Spec as one JSON
// line from in, run it, and write progress, held and the final Partial as
// JSON lines to out. In hold mode a line on in releases the connections.
func ServeWorker(ctx context.Context, in io.Reader, out io.Writer) error {
	br := bufio.NewReader(in)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("%w: read spec: %v", ErrWorker, err)
	}
	var s Spec
	if err := json.Unmarshal(line, &s); err != nil {
		return fmt.Errorf("%w: spec: %v", ErrWorker, err)
	}
	var mu sync.Mutex
	enc := json.NewEncoder(out)
	send := func(m message) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(m)
	}
	release := make(chan struct{})
	go func() {
		_, _ = br.ReadBytes('\n') // a line, or EOF when the parent is gone
		close(release)
	}()
	p, err := Run(ctx, s, Events{
		Progress: func(pr Progress) { send(message{Progress: &pr}) },
		Held:     func(n int64) { send(message{Held: &n}) },
		Release:  release,
	})
	if err != nil {
		send(message{Error: err.Error()})
		return err
	}
	send(message{Partial: p})
	return nil
}

// RunProcs runs s split over procs worker processes (exe worker…), or in
// this process when procs is 1, and merges what they measured. ev sees the
// summed progress, and in hold mode Held once every worker holds its
// connections; closing ev.Release releases them all.
func RunProcs(ctx context.Context, s Spec, procs int, exe string, args []string, ev Events) (*Partial, error) {
	s.Defaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if procs <= 1 {
		return Run(ctx, s, ev)
	}
	specs := Split(s, procs)
	type child struct {
		cmd    *exec.Cmd
		stdin  io.WriteCloser
		latest Progress
		held   bool
	}
	children := make([]*child, len(specs))
	var mu sync.Mutex
	var heldSum int64
	heldCount := 0
	allHeld := make(chan struct{})
	results := make(chan error, len(specs))
	merged := newPartial(s.Mode)
	for i, sp := range specs {
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrWorker, err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrWorker, err)
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("%w: start %s: %v", ErrWorker, exe, err)
		}
		c := &child{cmd: cmd, stdin: stdin}
		children[i] = c
		b, _ := json.Marshal(sp)
		if _, err := stdin.Write(append(b, '\n')); err != nil {
			return nil, fmt.Errorf("%w: send spec: %v", ErrWorker, err)
		}
		go func() {
			dec := json.NewDecoder(stdout)
			var got *Partial
			var werr error
			for {
				var m message
				if err := dec.Decode(&m); err != nil {
					break
				}
				mu.Lock()
				switch {
				case m.Progress != nil:
					c.latest = *m.Progress
				case m.Held != nil && !c.held:
					c.held = true
					heldSum += *m.Held
					heldCount++
					if heldCount == len(specs) {
						close(allHeld)
					}
				case m.Partial != nil:
					got = m.Partial
				case m.Error != "":
					werr = fmt.Errorf("%w %d: %s", ErrWorker, i, m.Error)
				}
				mu.Unlock()
			}
			err := cmd.Wait()
			switch {
			case werr != nil:
			case got == nil:
				werr = fmt.Errorf("%w %d: ended without a result: %v", ErrWorker, i, err)
			default:
				mu.Lock()
				merged.Merge(got)
				mu.Unlock()
			}
			results <- werr
		}()
	}
	sum := func() Progress {
		mu.Lock()
		defer mu.Unlock()
		t := Progress{Results: map[string]int64{}}
		for _, c := range children {
			t.Attempts += c.latest.Attempts
			t.Errors += c.latest.Errors
			t.Open += c.latest.Open
			t.Held += c.latest.Held
			t.Finals += c.latest.Finals
			addCounts(t.Results, c.latest.Results)
		}
		return t
	}
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	var errs []error
	released := false
	for pending := len(specs); pending > 0; {
		select {
		case err := <-results:
			pending--
			if err != nil {
				errs = append(errs, err)
				if !released {
					// A worker that failed will never hold: let the rest go.
					released = true
					for _, c := range children {
						_, _ = io.WriteString(c.stdin, releaseLine)
					}
				}
			}
		case <-tick.C:
			if ev.Progress != nil {
				ev.Progress(sum())
			}
		case <-allHeld:
			allHeld = nil // fire once
			if ev.Held != nil {
				mu.Lock()
				n := heldSum
				mu.Unlock()
				ev.Held(n)
			}
		case <-ev.Release:
			if !released {
				released = true
				for _, c := range children {
					_, _ = io.WriteString(c.stdin, releaseLine)
				}
			}
			ev.Release = nil
		}
	}
	if ev.Progress != nil {
		ev.Progress(sum())
	}
	return merged, errors.Join(errs...)
}
