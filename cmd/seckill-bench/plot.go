package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"seckill/bench"
)

// plot renders a series CSV (from -csv) as SVG; given several CSVs and
// their -names, it draws the runs over one another to compare them.
func plot(args []string) error {
	fs := flag.NewFlagSet("plot", flag.ExitOnError)
	in := fs.String("csv", "", "series `files` written by -csv, comma separated")
	names := fs.String("names", "", "compare: one name per CSV, comma separated")
	out := fs.String("out", "", "SVG `file` to write")
	title := fs.String("title", "", "plot title")
	fs.Parse(args)
	if *in == "" || *out == "" {
		return fmt.Errorf("%w: plot needs -csv and -out", errUsage)
	}
	files := strings.Split(*in, ",")
	var runs []bench.NamedSeries
	if len(files) > 1 || *names != "" {
		labels := strings.Split(*names, ",")
		if len(labels) != len(files) {
			return fmt.Errorf("%w: plot needs one -names entry per -csv file (%d files, %d names)", errUsage, len(files), len(labels))
		}
		for i := range files {
			runs = append(runs, bench.NamedSeries{Name: labels[i]})
		}
	}
	var rows [][]bench.SeriesRow
	for _, f := range files {
		r, err := readSeries(f)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	w, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("seckill-bench: %w", err)
	}
	if runs == nil {
		err = bench.WriteSVG(w, rows[0], *title)
	} else {
		for i := range runs {
			runs[i].Rows = rows[i]
		}
		err = bench.WriteCompareSVG(w, runs, *title)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

func readSeries(path string) ([]bench.SeriesRow, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seckill-bench: %w", err)
	}
	defer fh.Close()
	return bench.ReadSeriesCSV(fh)
}
