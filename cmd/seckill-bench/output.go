package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// appendJSON appends v as one JSON line to path.
func appendJSON(path string, v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("seckill-bench: encode record: %w", err)
	}
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("seckill-bench: %w", err)
	}
	_, err = fh.Write(append(line, '\n'))
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("seckill-bench: %w", err)
	}
	return nil
}
