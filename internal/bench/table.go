//go:build linux

package bench

import (
	"fmt"
	"io"
	"time"
)

func printTable(out io.Writer, o Options, ours, bare *result) {
	ratio := func(a, b float64) string {
		if b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2fx", a/b)
	}
	row := func(name, a, b, r string) { fmt.Fprintf(out, "| %-44s | %14s | %14s | %8s |\n", name, a, b, r) }
	fmt.Fprintln(out)
	row("measure", "crumb", "bare", "ratio")
	fmt.Fprintln(out, "|----------------------------------------------|----------------|----------------|----------|")
	row("sockets held", fmt.Sprint(ours.held), fmt.Sprint(bare.held), ratio(float64(ours.held), float64(bare.held)))
	steps := o.MemSteps
	for i := 1; i < len(steps); i++ {
		a, b := steps[i-1], steps[i]
		so := float64(ours.rss[b]-ours.rss[a]) / float64(b-a) / 1024
		sb := float64(bare.rss[b]-bare.rss[a]) / float64(b-a) / 1024
		row(fmt.Sprintf("server RSS per idle socket, %d→%d (KB)", a, b), fmt.Sprintf("%.1f", so), fmt.Sprintf("%.1f", sb), ratio(so, sb))
	}
	if first, last := steps[0], steps[len(steps)-1]; last > first {
		so := float64(ours.rss[last]-ours.rss[first]) / float64(last-first) / 1024
		sb := float64(bare.rss[last]-bare.rss[first]) / float64(last-first) / 1024
		row(fmt.Sprintf("server RSS per idle socket, %d→%d (KB)", first, last), fmt.Sprintf("%.1f", so), fmt.Sprintf("%.1f", sb), ratio(so, sb))
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	for _, n := range o.LatencyNs {
		names := []string{"p50", "p99", "max"}
		for i, nm := range names {
			a, b := ours.lat[n][i], bare.lat[n][i]
			row(fmt.Sprintf("publish→delivery %s, N=%d", nm, n), ms(a), ms(b), ratio(float64(a), float64(b)))
		}
		row(fmt.Sprintf("deliveries missing, N=%d", n), fmt.Sprint(ours.lost[n]), fmt.Sprint(bare.lost[n]), "")
	}
	row(fmt.Sprintf("delivered msgs/s, N=%d", o.ThroughputN), fmt.Sprintf("%.0f", ours.rate), fmt.Sprintf("%.0f", bare.rate), ratio(ours.rate, bare.rate))
	row("clients evicted (1008) in the run", fmt.Sprint(ours.evicted), fmt.Sprint(bare.evicted), "")
	fmt.Fprintln(out, "\ncrumb: REST PATCH → SQLite outbox → relay → memory broker → hub; bare: POST /publish → fan-out.")
	fmt.Fprintln(out, "Latency is from just before the publish request to receipt at each subscriber (same process clock).")
}
