package engine

// Result is the outcome of one attempt, as the client sees it.
type Result uint8

// The results a shard or the front end can decide. Their String forms are the
// "result" values of the public API and must not change. Refusals at the
// HTTP level (method_not_allowed, header_too_large) and of a token
// (unauthorized) are no decision about an attempt: package gate answers them.
const (
	None Result = iota // a lookup found no win
	Won
	AlreadyWon
	SoldOut
	Ended
	NotStarted
	Busy
	NotReserved
	LimitReached
	Blocked
	CaptchaRequired
	UnknownSKU
	BadRequest
	Unavailable
	// Waitlisted: every qualification is issued; the user holds a place
	// (Decision.Position) in the SKU's waitlist (waitlist.go).
	Waitlisted
	// Entered: the attempt is an entrant of the opening lottery. Never
	// sent: the driver holds the reply and answers once the draw is
	// durable (won, waitlisted or sold_out).
	Entered
	resultCount
)

var resultNames = [resultCount]string{
	None:            "none",
	Won:             "won",
	AlreadyWon:      "already_won",
	SoldOut:         "sold_out",
	Ended:           "ended",
	NotStarted:      "not_started",
	Busy:            "busy",
	NotReserved:     "not_reserved",
	LimitReached:    "limit_reached",
	Blocked:         "blocked",
	CaptchaRequired: "captcha_required",
	UnknownSKU:      "unknown_sku",
	BadRequest:      "bad_request",
	Unavailable:     "unavailable",
	Waitlisted:      "waitlisted",
	Entered:         "entered",
}

func (r Result) String() string {
	if r < resultCount {
		return resultNames[r]
	}
	return "invalid"
}

// RevealsWin reports whether a decision with this result names a winner
// record, and so must not reach the client before that record is durable.
func (r Result) RevealsWin() bool { return r == Won || r == AlreadyWon }
