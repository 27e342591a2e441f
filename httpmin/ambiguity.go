package httpmin

// finish judges a head whose every line is valid on its own: a request that
// two readings could answer differently is refused, because whichever copy
// the engine picked, a proxy, a cache or the mall's logs may have picked the
// other (the SPEC's "never guessed"). Duplicate query parameters are caught
// as they are decoded (duplicateParam); here the headers:
//
//   - a second Host or Origin header;
//   - more than one sk cookie, in one Cookie header or across several;
//   - a token both in the query and in the sk cookie that differ.
func (r *Request) finish() Outcome {
	if r.nHost > 1 || r.nOrigin > 1 {
		return BadRequest
	}
	cookie, n := r.cookieCount(sessionCookie)
	if n > 1 {
		return BadRequest
	}
	if n == 1 {
		if tok, ok := r.Query("token"); ok && string(tok) != string(cookie) {
			return BadRequest
		}
	}
	if r.preflight {
		return Preflight
	}
	return Complete
}

// sessionCookie is the cookie that may carry the buyer's token.
const sessionCookie = "sk"

// cookieCount returns the first value of the cookie called name and how
// many times it occurs across all Cookie headers.
func (r *Request) cookieCount(name string) (first []byte, n int) {
	for i := range r.nCookies {
		header := r.cookies[i]
		for len(header) > 0 {
			v, ok, rest := nextCookie(header, name)
			if !ok {
				break
			}
			if n == 0 {
				first = v
			}
			n++
			header = rest
		}
	}
	return first, n
}
