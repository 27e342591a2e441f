package httpmin

import "strconv"

// AppendResponse appends a complete HTTP/1.1 response to dst and returns the
// extended slice. Every response is JSON and closes the connection, so those
// headers are fixed; extraHeaders holds any further lines, each already in
// "Name: value\r\n" form (for a 405, AllowGET). With enough capacity in dst it
// does not allocate.
func AppendResponse(dst []byte, status int, extraHeaders []byte, body []byte) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, StatusText(status)...)
	dst = append(dst, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\r\nConnection: close\r\n"...)
	dst = append(dst, extraHeaders...)
	dst = append(dst, "\r\n"...)
	return append(dst, body...)
}

// StatusText returns the reason phrase for the statuses seckill answers with,
// or "" for any other code; an empty reason phrase is still a valid status
// line.
func StatusText(status int) string {
	switch status {
	case 200:
		return "OK"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 409:
		return "Conflict"
	case 410:
		return "Gone"
	case 429:
		return "Too Many Requests"
	case 431:
		return "Request Header Fields Too Large"
	case 500:
		return "Internal Server Error"
	case 503:
		return "Service Unavailable"
	}
	return ""
}
