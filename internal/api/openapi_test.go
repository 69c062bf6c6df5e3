package api_test

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/crumbcommander/crumb/internal/api"
	"github.com/crumbcommander/crumb/internal/apptest"
	"github.com/crumbcommander/crumb/internal/attendance"
	"github.com/crumbcommander/crumb/internal/bakery"
	"github.com/crumbcommander/crumb/internal/cloud/mail"
	"github.com/crumbcommander/crumb/internal/comms"
	"github.com/crumbcommander/crumb/internal/labor"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/ops"
	"github.com/crumbcommander/crumb/internal/push"
	"github.com/crumbcommander/crumb/internal/reports"
)

// TestOpenAPIDescribesEveryRoute walks the router with every optional part
// present: each mounted route must be described in docs/openapi.yaml, and
// each described path and method must be mounted.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	doc := apptest.OpenAPI(t)
	eng, _ := api.NewRouter(api.Deps{
		Bakery: &bakery.Service{}, Attendance: &attendance.Service{}, Push: &push.Service{}, Labor: &labor.Service{},
		Reports: &reports.Service{}, Notify: &notify.Store{}, Mailbox: &mail.DevBox{}, Queues: &ops.Queues{},
		SNSHook: &ops.Hook{}, Files: http.NotFoundHandler(), Metrics: prometheus.NewRegistry(), Comms: &comms.Service{},
	})
	param := regexp.MustCompile(`[:*]([A-Za-z_]+)`)
	mounted := map[string]bool{}
	for _, r := range eng.Routes() {
		mounted[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	described := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, k := range sorted(mounted) {
		if !described[k] {
			t.Errorf("route %s is mounted but not described in docs/openapi.yaml", k)
		}
	}
	for _, k := range sorted(described) {
		if !mounted[k] {
			t.Errorf("docs/openapi.yaml describes %s, which the router does not mount", k)
		}
	}
}

func sorted(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
