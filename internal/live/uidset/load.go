package uidset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// ErrBadLine marks a line that is neither blank, a comment nor a decimal uid;
// the wrapping error names the line number.
var ErrBadLine = errors.New("uidset: bad line")

// readBufferBytes is large so that a 200 MB file is read in few system calls;
// it is also the longest line Load accepts.
const readBufferBytes = 1 << 20

// LoadFile loads the reservation list at path; see Load. It reads the file
// twice: once to count its lines, then to parse them into a slice of
// exactly that size, which is sorted in place and kept. So the peak memory
// of a load is the set itself, not the set plus copies of it — 10 million
// uids load in about 90 MB instead of about 250 MB.
func LoadFile(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("uidset: load: %w", err)
	}
	defer f.Close()
	lines, err := countLines(f)
	if err != nil {
		return nil, fmt.Errorf("uidset: load %s: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("uidset: load %s: %w", path, err)
	}
	// If the file grew between the passes, append still works; it only
	// costs the copy this avoids.
	uids := flatUIDs(make([]uint64, 0, lines))
	if err := parseLines(f, &uids); err != nil {
		return nil, fmt.Errorf("uidset: load %s: %w", path, err)
	}
	return FromSlice(uids), nil
}

// countLines counts the lines of r, a last line without '\n' included.
func countLines(r io.Reader) (int, error) {
	buf := make([]byte, readBufferBytes)
	n, last := 0, byte('\n')
	for {
		m, err := r.Read(buf)
		if m > 0 {
			n += bytes.Count(buf[:m], []byte{'\n'})
			last = buf[m-1]
		}
		if err == io.EOF {
			if last != '\n' {
				n++
			}
			return n, nil
		}
		if err != nil {
			return 0, fmt.Errorf("uidset: count lines: %w", err)
		}
	}
}

// Load reads one decimal uid per line. Blank lines and lines starting with
// '#' are ignored; spaces, tabs and a trailing '\r' around a uid are
// tolerated. Any other line is an error wrapping ErrBadLine that names the
// line number. Lines are parsed in place in the read buffer, so loading
// allocates only the set itself.
func Load(r io.Reader) (*Set, error) {
	var uids chunkedUIDs
	if err := parseLines(r, &uids); err != nil {
		return nil, err
	}
	return FromSlice(uids.flatten()), nil
}

// collector receives the uids parseLines finds.
type collector interface{ append(uid uint64) }

// flatUIDs collects into a slice sized beforehand.
type flatUIDs []uint64

func (f *flatUIDs) append(uid uint64) { *f = append(*f, uid) }

// parseLines parses r line by line into c; see Load for the format.
func parseLines(r io.Reader, c collector) error {
	br := bufio.NewReaderSize(r, readBufferBytes)
	for lineNumber := 1; ; lineNumber++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return fmt.Errorf("uidset: line %d: longer than %d bytes: %w", lineNumber, readBufferBytes, ErrBadLine)
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("uidset: read line %d: %w", lineNumber, err)
		}
		if len(line) > 0 {
			uid, kind := parseLine(line)
			switch kind {
			case lineUID:
				c.append(uid)
			case lineBad:
				return fmt.Errorf("uidset: line %d: %q is not a decimal uid: %w", lineNumber, excerpt(line), ErrBadLine)
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// maxUIDDigits is the length of math.MaxUint64 in decimal.
const maxUIDDigits = 20

type lineKind uint8

const (
	lineSkip lineKind = iota // blank or a comment
	lineUID
	lineBad
)

// parseLine parses one line, its '\n' included, by hand: strconv would need
// a string per line, and 10 million of those dominate the load time.
func parseLine(line []byte) (uint64, lineKind) {
	start, end := 0, len(line)
	for start < end && isBlank(line[start]) {
		start++
	}
	for end > start && isBlank(line[end-1]) {
		end--
	}
	switch {
	case start == end:
		return 0, lineSkip
	case line[start] == '#':
		return 0, lineSkip
	}
	digits := line[start:end]
	if len(digits) > maxUIDDigits {
		return 0, lineBad
	}
	// Up to 19 digits cannot overflow a uint64, so only a 20th digit needs
	// the overflow check.
	var uid uint64
	for i, c := range digits {
		digit := uint64(c - '0')
		if digit > 9 {
			return 0, lineBad
		}
		if i == maxUIDDigits-1 && uid > (math.MaxUint64-digit)/10 {
			return 0, lineBad
		}
		uid = uid*10 + digit
	}
	return uid, lineUID
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// excerpt keeps an error message short when a line is long.
func excerpt(line []byte) []byte {
	const maxExcerpt = 40
	line = bytes.TrimRight(line, "\r\n")
	if len(line) > maxExcerpt {
		return line[:maxExcerpt]
	}
	return line
}
