// Package metrics holds the gateway's Prometheus metrics. Labels are bounded: routes are chi route templates,
// models are catalogue ids (anything else is "other"), error classes and types come from fixed sets.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the gateway's collector set, registered on its own registry (no global state, so tests can make many).
type Metrics struct {
	reg *prometheus.Registry

	Requests        *prometheus.CounterVec   // route, method, status
	RequestDuration *prometheus.HistogramVec // route
	Upstream        *prometheus.HistogramVec // operation, model: Bedrock time (whole call, or time to stream start)
	Overhead        *prometheus.HistogramVec // route: request time not spent waiting on Bedrock (non-streamed)
	TTFT            *prometheus.HistogramVec // model: request start to first streamed token
	InterToken      *prometheus.HistogramVec // model: between streamed deltas
	Tokens          *prometheus.CounterVec   // model, type (input, output, cache_read, cache_write)
	ActiveStreams   prometheus.Gauge
	Errors          *prometheus.CounterVec // class (client, upstream, gateway), type
}

var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// New builds and registers the collectors, plus Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.Requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gateway_requests_total",
		Help: "HTTP requests by route template, method and status."}, []string{"route", "method", "status"})
	m.RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gateway_request_duration_seconds",
		Help: "HTTP request duration (streams: until the last byte).", Buckets: latencyBuckets}, []string{"route"})
	m.Upstream = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gateway_upstream_duration_seconds",
		Help: "Amazon Bedrock call duration: the whole Converse call, or ConverseStream until the stream opened.", Buckets: latencyBuckets},
		[]string{"operation", "model"})
	m.Overhead = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gateway_overhead_seconds",
		Help:    "Time a non-streamed request spent in the gateway itself (duration minus Bedrock time).",
		Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1}}, []string{"route"})
	m.TTFT = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gateway_time_to_first_token_seconds",
		Help: "Streams: request start to the first content, reasoning or tool-call delta.", Buckets: latencyBuckets}, []string{"model"})
	m.InterToken = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gateway_inter_token_latency_seconds",
		Help: "Streams: time between consecutive deltas.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"model"})
	m.Tokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gateway_tokens_total",
		Help: "Tokens by model and type (input, output, cache_read, cache_write), as Bedrock reported them."}, []string{"model", "type"})
	m.ActiveStreams = prometheus.NewGauge(prometheus.GaugeOpts{Name: "gateway_active_streams", Help: "Streams in flight."})
	m.Errors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gateway_errors_total",
		Help: "Errors by class (client: the request's fault; upstream: Bedrock's; gateway: ours) and OpenAI error type."},
		[]string{"class", "type"})
	m.reg.MustRegister(m.Requests, m.RequestDuration, m.Upstream, m.Overhead, m.TTFT, m.InterToken, m.Tokens, m.ActiveStreams, m.Errors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
