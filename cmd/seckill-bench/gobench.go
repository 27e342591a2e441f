package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// gobench reads `go test -bench` output (several -count repetitions) from
// stdin and prints each benchmark's median per unit as a markdown table.
func gobench(args []string) error {
	fs := flag.NewFlagSet("gobench", flag.ExitOnError)
	fs.Parse(args)
	type bench struct {
		units  []string
		values map[string][]float64
	}
	byName := map[string]*bench{}
	var order []string
	pkg := ""
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = p
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name := pkg + " " + m[1]
		b := byName[name]
		if b == nil {
			b = &bench{values: map[string][]float64{}}
			byName[name] = b
			order = append(order, name)
		}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			unit := f[i+1]
			if _, ok := b.values[unit]; !ok {
				b.units = append(b.units, unit)
			}
			b.values[unit] = append(b.values[unit], v)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("seckill-bench: read: %w", err)
	}
	fmt.Println("| package | benchmark | n | medians |")
	fmt.Println("|---|---|---|---|")
	for _, name := range order {
		b := byName[name]
		pkg, bn, _ := strings.Cut(name, " ")
		var cells []string
		n := 0
		for _, u := range b.units {
			cells = append(cells, num(median(b.values[u]))+" "+u)
			n = max(n, len(b.values[u]))
		}
		fmt.Printf("| %s | %s | %d | %s |\n", pkg, bn, n, strings.Join(cells, ", "))
	}
	return nil
}
