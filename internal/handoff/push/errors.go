package push

import "errors"

var (
	// ErrOptions reports push settings that cannot work.
	ErrOptions = errors.New("push: invalid options")
	// ErrState reports a delivery-state key or value that does not decode.
	ErrState = errors.New("push: malformed delivery state")
	// ErrStatus reports a POST the mall answered with a non-2xx status.
	ErrStatus = errors.New("push: mall refused the batch")
	// ErrRunning reports a second Run or Drain on one Pusher.
	ErrRunning = errors.New("push: already running")
)
