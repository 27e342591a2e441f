package httpmin

import "bytes"

// MaxQueryParams bounds the number of query parameters. Flash-sale endpoints
// take two or three, and a fixed table keeps parsing allocation-free.
const MaxQueryParams = 16

// queryParam locates one decoded parameter in Request.scratch: the key is
// scratch[keyStart:keyEnd] and the value follows it, scratch[keyEnd:valueEnd].
// Offsets instead of slices keep the table free of pointers.
type queryParam struct {
	keyStart, keyEnd, valueEnd uint16
}

// parseQuery decodes every parameter of the raw query up front, so malformed
// escapes are rejected at Parse time and Query is a plain lookup. Empty
// segments ("a=1&&b=2") are skipped, as browsers and Go's net/url do.
func (r *Request) parseQuery(raw []byte) Outcome {
	if len(raw) > len(r.scratch) {
		// Only reachable when the read buffer is larger than MaxQueryBytes.
		return HeadTooLarge
	}
	w := 0
	for len(raw) > 0 {
		segment := raw
		if amp := bytes.IndexByte(raw, '&'); amp >= 0 {
			segment, raw = raw[:amp], raw[amp+1:]
		} else {
			raw = nil
		}
		if len(segment) == 0 {
			continue
		}
		if r.nParams == MaxQueryParams {
			return BadRequest
		}
		key, value := segment, segment[len(segment):]
		if eq := bytes.IndexByte(segment, '='); eq >= 0 {
			key, value = segment[:eq], segment[eq+1:]
		}
		p := &r.params[r.nParams]
		p.keyStart = uint16(w)
		var ok bool
		if w, ok = r.decodeInto(w, key); !ok {
			return BadRequest
		}
		p.keyEnd = uint16(w)
		if w, ok = r.decodeInto(w, value); !ok {
			return BadRequest
		}
		p.valueEnd = uint16(w)
		if r.duplicateParam(p) {
			return BadRequest
		}
		r.nParams++
	}
	return Complete
}

// singleParams are the parameters that decide who buys what; a second
// copy of any of them would make the answer depend on which copy a layer
// reads, so such a request is refused rather than guessed.
var singleParams = [...]string{"sku", "token", "uid", "captcha"}

// duplicateParam reports whether p, not yet counted, repeats one of the
// singleParams already decoded.
func (r *Request) duplicateParam(p *queryParam) bool {
	key := r.scratch[p.keyStart:p.keyEnd]
	single := false
	for _, name := range singleParams {
		if string(key) == name {
			single = true
			break
		}
	}
	if !single {
		return false
	}
	for i := range r.nParams {
		q := &r.params[i]
		if string(r.scratch[q.keyStart:q.keyEnd]) == string(key) {
			return true
		}
	}
	return false
}

// decodeInto percent-decodes src into scratch at w, turning '+' into a space
// as HTML forms encode it. It returns the new write offset, or ok=false for a
// truncated or non-hex escape. Runs without escapes, the common case for
// SKUs and tokens, are moved with copy rather than byte by byte.
func (r *Request) decodeInto(w int, src []byte) (int, bool) {
	dst := r.scratch[:]
	for len(src) > 0 {
		i := indexEscape(src)
		if i < 0 {
			return w + copy(dst[w:], src), true
		}
		w += copy(dst[w:], src[:i])
		if src[i] == '+' {
			dst[w] = ' '
			w++
			src = src[i+1:]
			continue
		}
		if i+2 >= len(src) {
			return w, false
		}
		hi, okHi := unhex(src[i+1])
		lo, okLo := unhex(src[i+2])
		if !okHi || !okLo {
			return w, false
		}
		dst[w] = hi<<4 | lo
		w++
		src = src[i+3:]
	}
	return w, true
}

// indexEscape finds the first byte that decoding must rewrite.
func indexEscape(b []byte) int {
	for i, c := range b {
		if c == '%' || c == '+' {
			return i
		}
	}
	return -1
}

// unhex converts one hexadecimal digit of a percent escape.
func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Query returns the decoded value of the first query parameter whose decoded
// name equals name. A parameter without '=' has an empty value. The result
// points into the Request and is valid until the next Parse or Reset.
func (r *Request) Query(name string) ([]byte, bool) {
	for i := range r.nParams {
		p := &r.params[i]
		if string(r.scratch[p.keyStart:p.keyEnd]) == name {
			return r.scratch[p.keyEnd:p.valueEnd:p.valueEnd], true
		}
	}
	return nil, false
}
