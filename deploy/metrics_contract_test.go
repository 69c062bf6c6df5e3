package deploy

import (
	"maps"
	"slices"
	"sort"
	"testing"

	"github.com/crumbcommander/crumb/internal/cloud/metrics"
	"github.com/crumbcommander/crumb/worker"
)

// emittedShapes is every custom metric the Go publisher sends, by name, with
// its sorted dimension names: serve node gauges (with a group), worker queue
// data.
func emittedShapes(t *testing.T) map[string][]string {
	t.Helper()
	g := worker.Gauges{Node: "i-0", Group: "crumb-serve", ConnectedSockets: func() int { return 1 }, ExportsInFlight: func() int { return 0 }}
	ds := g.NodeData()
	for _, q := range []string{worker.QueueCritical, worker.QueueDefault, worker.QueueReports} {
		// QueueData's shape, without a Redis: names and dimension as it builds them.
		dim := map[string]string{"Queue": q}
		ds = append(ds, metrics.Datum{Name: "QueueSize", Dimensions: dim}, metrics.Datum{Name: "QueueLatencySeconds", Dimensions: dim})
	}
	out := map[string][]string{}
	for _, d := range ds {
		out[d.Name] = slices.Sorted(maps.Keys(d.Dimensions))
	}
	return out
}

// TestTemplateMetricsArePublished reads every alarm and scaling policy in the
// templates that uses the app's namespace and checks the app publishes that
// metric with exactly those dimension names: a policy reading a metric nobody
// sends never scales in.
func TestTemplateMetricsArePublished(t *testing.T) {
	emitted := emittedShapes(t)
	checked := 0
	for _, tpl := range loadTemplates(t) {
		for _, r := range tpl.resources() {
			var specs []map[string]any
			switch r.typ {
			case "AWS::CloudWatch::Alarm":
				specs = append(specs, metricSpecs(r.props)...)
			case "AWS::AutoScaling::ScalingPolicy":
				if m, ok := dig(r.props, "TargetTrackingConfiguration", "CustomizedMetricSpecification").(map[string]any); ok {
					specs = append(specs, metricSpecs(m)...)
				}
			}
			for _, spec := range specs {
				ns := spec["Namespace"]
				if ns != metrics.Namespace && !isRef(ns, "MetricNamespace") {
					continue
				}
				name, _ := spec["MetricName"].(string)
				var dims []string
				if list, ok := spec["Dimensions"].([]any); ok {
					for _, d := range list {
						if n, ok := dig(d, "Name").(string); ok {
							dims = append(dims, n)
						}
					}
				}
				sort.Strings(dims)
				want, ok := emitted[name]
				if !ok {
					t.Errorf("%s %s: reads %s/%s, which the app never publishes", tpl.name, r.name, metrics.Namespace, name)
					continue
				}
				if !slices.Equal(dims, want) {
					t.Errorf("%s %s: reads %s with dimensions %v, the app publishes %v", tpl.name, r.name, name, dims, want)
				}
				if st, _ := spec["Statistic"].(string); st == "Sum" || st == "SampleCount" || st == "" {
					t.Errorf("%s %s: statistic %s of a gauge depends on how often it is sent", tpl.name, r.name, st)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no alarm or policy reads the app's metrics: the test reads nothing")
	}
}

// metricSpecs returns the metrics an alarm or a customized metric reads, as
// maps with Namespace, MetricName, Dimensions and Statistic: the spec itself
// when it names one metric, else each MetricStat of its metric math
// (Metrics), whose Stat becomes Statistic.
func metricSpecs(spec map[string]any) []map[string]any {
	list, ok := spec["Metrics"].([]any)
	if !ok {
		return []map[string]any{spec}
	}
	var out []map[string]any
	for _, q := range list {
		m, ok := dig(q, "MetricStat", "Metric").(map[string]any)
		if !ok {
			continue // an expression over the others
		}
		flat := map[string]any{"Namespace": m["Namespace"], "MetricName": m["MetricName"], "Dimensions": m["Dimensions"],
			"Statistic": dig(q, "MetricStat", "Stat")}
		out = append(out, flat)
	}
	return out
}

// TestMetricSpecsReadMetricMath: a policy reading metric math is checked
// per metric it reads.
func TestMetricSpecsReadMetricMath(t *testing.T) {
	spec := map[string]any{"Metrics": []any{
		map[string]any{"Id": "a", "MetricStat": map[string]any{"Stat": "Sum", "Metric": map[string]any{"Namespace": "N", "MetricName": "QueueSize",
			"Dimensions": []any{map[string]any{"Name": "Queue", "Value": "default"}}}}},
		map[string]any{"Id": "e", "Expression": "a / 2"},
	}}
	got := metricSpecs(spec)
	if len(got) != 1 || got[0]["MetricName"] != "QueueSize" || got[0]["Statistic"] != "Sum" {
		t.Errorf("metricSpecs = %v", got)
	}
}

// isRef reports whether v is {"Ref": name}.
func isRef(v any, name string) bool {
	fn, arg, ok := intrinsic(v)
	return ok && fn == "Ref" && arg == name
}
