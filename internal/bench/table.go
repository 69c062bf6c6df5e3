//go:build linux

package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// spread is min / median / max of one figure over runs.
type spread struct{ min, med, max float64 }

func spreadOf(xs []float64) spread {
	if len(xs) == 0 {
		return spread{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{s[0], med, s[len(s)-1]}
}

// format prints a spread with prec decimals (a single run prints once).
func (s spread) format(prec int) string {
	f := func(v float64) string { return fmt.Sprintf("%.*f", prec, v) }
	if s.min == s.max {
		return f(s.med)
	}
	return f(s.min) + " / " + f(s.med) + " / " + f(s.max)
}

// row is one measure: its name, decimals and how to read it from a run.
type row struct {
	name string
	prec int
	get  func(*result) float64
}

// printTable prints one client kind's figures for every server, as
// min / median / max over the runs, with each server's median as a ratio of
// Centrifugo's (or of the bare broadcaster's when Centrifugo is left out, or
// of the first server's when both are).
func printTable(out io.Writer, o Options, kind string, res map[string][]*result) {
	var rows []row
	rows = append(rows, row{"sockets held", 0, func(r *result) float64 { return float64(r.held) }})
	steps := o.MemSteps
	perSocket := func(a, b int) row {
		return row{fmt.Sprintf("server RSS per idle socket, %d→%d (KB)", a, b), 1, func(r *result) float64 {
			return float64(r.rss[b]-r.rss[a]) / float64(b-a) / 1024
		}}
	}
	for i := 1; i < len(steps); i++ {
		rows = append(rows, perSocket(steps[i-1], steps[i]))
	}
	if len(steps) > 2 {
		rows = append(rows, perSocket(steps[0], steps[len(steps)-1]))
	}
	for _, n := range o.LatencyNs {
		for i, nm := range []string{"p50", "p99", "max"} {
			rows = append(rows, row{fmt.Sprintf("publish→delivery %s, N=%d (ms)", nm, n), 2, func(r *result) float64 { return float64(r.lat[n][i]) / 1e6 }})
		}
		rows = append(rows, row{fmt.Sprintf("deliveries missing, N=%d", n), 0, func(r *result) float64 { return float64(r.lost[n]) }})
	}
	rows = append(rows, row{fmt.Sprintf("delivered msgs/s, N=%d", o.ThroughputN), 0, func(r *result) float64 { return r.rate }},
		row{"clients evicted (1008)", 0, func(r *result) float64 { return float64(r.evicted) }})

	var servers, others []string
	for _, sv := range o.Servers {
		if len(res[sv]) > 0 {
			servers = append(servers, sv)
		}
	}
	ref := servers[0]
	for _, sv := range []string{"bare", "centrifugo"} {
		if len(res[sv]) > 0 {
			ref = sv
		}
	}
	for _, sv := range servers {
		if sv != ref {
			others = append(others, sv)
		}
	}
	head := []string{"measure (" + kind + " client, " + fmt.Sprint(len(res[servers[0]])) + " runs)"}
	head = append(head, servers...)
	for _, sv := range others {
		head = append(head, sv+"/"+ref)
	}
	cells := [][]string{head}
	for _, rw := range rows {
		line := []string{rw.name}
		meds := map[string]float64{}
		for _, sv := range servers {
			var xs []float64
			for _, r := range res[sv] {
				xs = append(xs, rw.get(r))
			}
			sp := spreadOf(xs)
			meds[sv] = sp.med
			line = append(line, sp.format(rw.prec))
		}
		for _, sv := range others {
			if meds[ref] == 0 || strings.HasPrefix(rw.name, "deliveries missing") || strings.HasPrefix(rw.name, "clients evicted") {
				line = append(line, "")
				continue
			}
			line = append(line, fmt.Sprintf("%.2fx", meds[sv]/meds[ref]))
		}
		cells = append(cells, line)
	}
	fmt.Fprintln(out)
	printCells(out, cells)
	fmt.Fprintln(out, "\nmin / median / max over the runs; ratios are of the medians.")
	fmt.Fprintln(out, "crumb: REST PATCH → SQLite outbox → relay → memory broker → hub; centrifugo: POST /api/publish; bare: POST /publish.")
	fmt.Fprintln(out, "Latency is from just before the publish request to receipt at each subscriber (same process clock).")
}

// printCells prints a Markdown table with aligned columns.
func printCells(out io.Writer, cells [][]string) {
	width := make([]int, len(cells[0]))
	for _, line := range cells {
		for i, c := range line {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for j, line := range cells {
		var b strings.Builder
		for i, c := range line {
			fmt.Fprintf(&b, "| %s%s ", c, strings.Repeat(" ", width[i]-len([]rune(c))))
		}
		fmt.Fprintln(out, b.String()+"|")
		if j == 0 {
			b.Reset()
			for _, w := range width {
				b.WriteString("|" + strings.Repeat("-", w+2))
			}
			fmt.Fprintln(out, b.String()+"|")
		}
	}
}
