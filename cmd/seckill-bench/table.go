package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// table prints measured rows (JSON lines from -append) as a markdown table:
// per label, the median of each metric over its repetitions, its range, and
// for the first metric the ratio to the -base label's median.
func table(args []string) error {
	fs := flag.NewFlagSet("table", flag.ExitOnError)
	in := fs.String("in", "", "JSON lines `file` written by -append")
	metrics := fs.String("metrics", "server.cpu_us_per_attempt,attempts_per_s", "comma-separated JSON `paths` to tabulate")
	base := fs.String("base", "", "label the first metric's ratio is taken against")
	labels := fs.String("labels", "", "comma-separated labels to show, in this order; default all, in file order")
	fs.Parse(args)
	fh, err := os.Open(*in)
	if err != nil {
		return fmt.Errorf("%w: -in: %v", errUsage, err)
	}
	defer fh.Close()
	paths := strings.Split(*metrics, ",")
	rows, order, err := readRows(fh, paths)
	if err != nil {
		return err
	}
	if *labels != "" {
		order = strings.Split(*labels, ",")
	}
	baseMedian := 0.0
	if *base != "" {
		if vs := rows[*base]; len(vs) > 0 {
			baseMedian = median(column(vs, 0))
		} else {
			return fmt.Errorf("%w: -base %q has no rows", errUsage, *base)
		}
	}
	head := "| row | n |"
	sep := "|---|---|"
	for i, p := range paths {
		head += " " + p + " (median; min–max) |"
		sep += "---|"
		if i == 0 && *base != "" {
			head += " ÷ " + *base + " (ratio of medians) | ÷ " + *base + " (median of per-alternation ratios) |"
			sep += "---|---|"
		}
	}
	fmt.Println(head)
	fmt.Println(sep)
	for _, label := range order {
		vs := rows[label]
		if len(vs) == 0 {
			continue
		}
		line := fmt.Sprintf("| %s | %d |", label, len(vs))
		for i := range paths {
			col := column(vs, i)
			line += fmt.Sprintf(" %s (%s–%s) |", num(median(col)), num(slices.Min(col)), num(slices.Max(col)))
			if i == 0 && *base != "" {
				line += fmt.Sprintf(" %.2f× | %s |", median(col)/baseMedian, pairedRatio(col, column(rows[*base], 0)))
			}
		}
		fmt.Println(line)
	}
	return nil
}

// pairedRatio divides each repetition of a row by the base's repetition of
// the same number — measured next to it in time, so a drift in the
// machine's load cancels — and returns the median ratio and its range.
func pairedRatio(row, base []float64) string {
	n := min(len(row), len(base))
	if n == 0 {
		return "–"
	}
	r := make([]float64, n)
	for i := range r {
		r[i] = row[i] / base[i]
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", median(r), slices.Min(r), slices.Max(r))
}

// readRows groups each record's metrics by label, keeping file order.
func readRows(r io.Reader, paths []string) (map[string][][]float64, []string, error) {
	rows := map[string][][]float64{}
	var order []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, nil, fmt.Errorf("%w: line %d: %v", errUsage, n, err)
		}
		label, _ := rec["label"].(string)
		vals := make([]float64, len(paths))
		for i, p := range paths {
			vals[i] = lookup(rec, p)
		}
		if _, seen := rows[label]; !seen {
			order = append(order, label)
		}
		rows[label] = append(rows[label], vals)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("seckill-bench: read: %w", err)
	}
	return rows, order, nil
}

// lookup follows a dotted path through decoded JSON; a missing value is NaN.
func lookup(v any, path string) float64 {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nan()
		}
		v = m[k]
	}
	switch x := v.(type) {
	case float64:
		return x
	case bool:
		if x {
			return 1
		}
		return 0
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err == nil {
			return f
		}
	}
	return nan()
}

func nan() float64 { return math.NaN() }

func column(vs [][]float64, i int) []float64 {
	out := make([]float64, len(vs))
	for j, v := range vs {
		out[j] = v[i]
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return nan()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// num prints with three significant digits, or as an integer when large;
// a metric a row does not have prints as a dash.
func num(f float64) string {
	if math.IsNaN(f) {
		return "–"
	}
	if f >= 1000 || f <= -1000 {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'g', 3, 64)
}
