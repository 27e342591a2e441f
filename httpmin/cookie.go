package httpmin

import "bytes"

// Cookie returns the value of the cookie called name across all Cookie
// headers, in the RFC 6265 "a=1; sk=TOKEN" form. Cookie names are
// case-sensitive. A value wrapped in double quotes is returned without them.
// The result points into the parsed buffer. Parse refuses a request with
// several sk cookies, so for that cookie the first is the only one.
func (r *Request) Cookie(name string) ([]byte, bool) {
	for i := range r.nCookies {
		if v, ok, _ := nextCookie(r.cookies[i], name); ok {
			return v, true
		}
	}
	return nil, false
}

// nextCookie scans one Cookie header value for the next pair called name
// and returns its value and the rest of the header after it. It is lenient
// about spacing and skips pairs without '=', because clients differ and a
// stray pair must not hide the session cookie.
func nextCookie(header []byte, name string) (value []byte, ok bool, rest []byte) {
	for len(header) > 0 {
		pair := header
		if semi := bytes.IndexByte(header, ';'); semi >= 0 {
			pair, header = header[:semi], header[semi+1:]
		} else {
			header = nil
		}
		pair = trimOWS(pair)
		eq := bytes.IndexByte(pair, '=')
		if eq < 0 {
			continue
		}
		if string(trimOWS(pair[:eq])) != name {
			continue
		}
		value := trimOWS(pair[eq+1:])
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		return value[:len(value):len(value)], true, header
	}
	return nil, false, nil
}
