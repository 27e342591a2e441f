package httpmin

import (
	"strconv"
	"unicode/utf8"
)

// JSON builds one flat JSON object by appending to B. Handlers reuse a
// pre-sized buffer (j := JSON{B: buf[:0]}), so building a body does not
// allocate. Keys are trusted snake_case constants and are written verbatim;
// only values are escaped.
type JSON struct {
	B []byte
}

// Begin opens the object.
func (j *JSON) Begin() { j.B = append(j.B, '{') }

// End closes the object.
func (j *JSON) End() { j.B = append(j.B, '}') }

// Str adds a string member.
func (j *JSON) Str(key, val string) {
	j.key(key)
	j.B = appendQuotedString(j.B, val)
}

// Bytes adds a string member whose value is given as bytes, such as a view
// returned by Request.Query, without converting it to a string first.
func (j *JSON) Bytes(key string, val []byte) {
	j.key(key)
	j.B = appendQuotedBytes(j.B, val)
}

// Int adds a signed number member.
func (j *JSON) Int(key string, v int64) {
	j.key(key)
	j.B = strconv.AppendInt(j.B, v, 10)
}

// Uint adds an unsigned number member.
func (j *JSON) Uint(key string, v uint64) {
	j.key(key)
	j.B = strconv.AppendUint(j.B, v, 10)
}

// Bool adds a true/false member.
func (j *JSON) Bool(key string, v bool) {
	j.key(key)
	j.B = strconv.AppendBool(j.B, v)
}

// key writes the separating comma (unless the object was just opened), the
// quoted key and the colon. Looking at the last byte instead of tracking a
// flag keeps the zero JSON value usable.
func (j *JSON) key(key string) {
	if n := len(j.B); n > 0 && j.B[n-1] != '{' {
		j.B = append(j.B, ',')
	}
	j.B = append(j.B, '"')
	j.B = append(j.B, key...)
	j.B = append(j.B, '"', ':')
}

// appendQuotedString writes s as a JSON string. Quotes, backslashes and
// control characters are escaped, valid UTF-8 is copied as is, and each
// invalid byte becomes \ufffd so the output is always valid JSON.
func appendQuotedString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !needsEscape[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscapedASCII(dst, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendQuotedBytes is appendQuotedString for a byte slice; it is duplicated
// rather than converted because a []byte-to-string conversion may allocate.
func appendQuotedBytes(dst []byte, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !needsEscape[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscapedASCII(dst, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendEscapedASCII writes the escape for a quote, a backslash or a control
// character; control characters use the uniform \u00XX form.
func appendEscapedASCII(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	}
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
}

// needsEscape marks the ASCII bytes JSON forbids inside a string literal.
var needsEscape = func() (t [utf8.RuneSelf]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'] = true
	t['\\'] = true
	return t
}()
