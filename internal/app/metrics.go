package app

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func (a *App) metricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Metrics, promhttp.HandlerOpts{}))
	return mux
}
