package main

import (
	"flag"
	"fmt"
	"os"

	"seckill/bench"
)

// plot renders a series CSV (from -csv) as SVG.
func plot(args []string) error {
	fs := flag.NewFlagSet("plot", flag.ExitOnError)
	in := fs.String("csv", "", "series `file` written by -csv")
	out := fs.String("out", "", "SVG `file` to write")
	title := fs.String("title", "", "plot title")
	fs.Parse(args)
	if *in == "" || *out == "" {
		return fmt.Errorf("%w: plot needs -csv and -out", errUsage)
	}
	fh, err := os.Open(*in)
	if err != nil {
		return fmt.Errorf("seckill-bench: %w", err)
	}
	rows, err := bench.ReadSeriesCSV(fh)
	fh.Close()
	if err != nil {
		return err
	}
	w, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("seckill-bench: %w", err)
	}
	err = bench.WriteSVG(w, rows, *title)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}
