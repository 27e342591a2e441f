package uidset

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		want      []uint64
		wantLine  string // non-empty: Load must fail with ErrBadLine naming this line
		notWanted []uint64
	}{
		{name: "empty", input: "", want: nil, notWanted: []uint64{0, 1}},
		{name: "only blanks and comments", input: "\n# reserved\n   \n\t\n#1\n", want: nil, notWanted: []uint64{1}},
		{name: "simple", input: "3\n1\n2\n", want: []uint64{1, 2, 3}},
		{name: "no final newline", input: "3\n1", want: []uint64{1, 3}},
		{name: "duplicates", input: "5\n5\n1\n5\n1\n", want: []uint64{1, 5}},
		{name: "CRLF", input: "10\r\n20\r\n\r\n# c\r\n30\r\n", want: []uint64{10, 20, 30}},
		{name: "surrounding blanks", input: "  7 \n\t8\t\n", want: []uint64{7, 8}},
		{name: "comment after blanks", input: "  # not a uid\n9\n", want: []uint64{9}},
		{name: "zero and max", input: "0\n18446744073709551615\n", want: []uint64{0, math.MaxUint64}},
		{name: "overflow", input: "1\n18446744073709551616\n", wantLine: "line 2"},
		{name: "letters", input: "1\n2\nabc\n", wantLine: "line 3"},
		{name: "sign", input: "+1\n", wantLine: "line 1"},
		{name: "negative", input: "1\n-1\n", wantLine: "line 2"},
		{name: "two uids on a line", input: "1 2\n", wantLine: "line 1"},
		{name: "trailing comment", input: "1 # vip\n", wantLine: "line 1"},
		{name: "bad line after CRLF", input: "1\r\n\r\nx\r\n", wantLine: "line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(strings.NewReader(tt.input))
			if tt.wantLine != "" {
				if !errors.Is(err, ErrBadLine) || !strings.Contains(err.Error(), tt.wantLine+":") {
					t.Fatalf("got %v; want ErrBadLine at %s", err, tt.wantLine)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.uids, tt.want) {
				t.Errorf("uids = %v; want %v", s.uids, tt.want)
			}
			if s.Len() != len(tt.want) {
				t.Errorf("Len() = %d; want %d", s.Len(), len(tt.want))
			}
			for _, uid := range tt.want {
				if !s.Contains(uid) {
					t.Errorf("Contains(%d) = false", uid)
				}
			}
			for _, uid := range tt.notWanted {
				if s.Contains(uid) {
					t.Errorf("Contains(%d) = true", uid)
				}
			}
		})
	}
}

func TestLoadLongLine(t *testing.T) {
	_, err := Load(strings.NewReader("1\n" + strings.Repeat("9", readBufferBytes+1) + "\n"))
	if !errors.Is(err, ErrBadLine) || !strings.Contains(err.Error(), "line 2:") {
		t.Fatalf("got %v; want ErrBadLine at line 2", err)
	}
}

func TestLoadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reserved.txt")
	if err := os.WriteFile(path, []byte("# vip\n42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Contains(42) || s.Len() != 1 {
		t.Errorf("set from file: %v", s.uids)
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "absent")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v", err)
	}
	if err := os.WriteFile(path, []byte("42\nx\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); !errors.Is(err, ErrBadLine) || !strings.Contains(err.Error(), path) {
		t.Errorf("bad file: got %v; want ErrBadLine naming the path", err)
	}
}
