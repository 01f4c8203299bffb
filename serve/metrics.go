package serve

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/llsum/llsum/infer"
)

// metrics are the server's Prometheus metrics, on a registry of its own (no
// global state: two servers in one process count apart). GET /metrics
// serves them in the text exposition format.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	batchSize  prometheus.Histogram
	prompt     prometheus.Counter
	completion prometheus.Counter
	ttft       prometheus.Histogram
	decodeRate prometheus.Histogram
}

// statusClientGone labels requests whose client left before the answer
// (nginx's convention).
const statusClientGone = 499

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llsum_serve_requests_total",
			Help: "Chat completion requests answered, by HTTP status (499: the client left first).",
		}, []string{"status"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "llsum_serve_batch_size",
			Help:    "Requests per batch run by the engine.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
		}),
		prompt: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "llsum_serve_prompt_tokens_total",
			Help: "Prompt tokens of the requests answered.",
		}),
		completion: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "llsum_serve_completion_tokens_total",
			Help: "Tokens generated for the requests answered.",
		}),
		ttft: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "llsum_serve_time_to_first_token_seconds",
			Help:    "Time from accepting a request to its first generated token (queueing and prefill included).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		decodeRate: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "llsum_serve_decode_tokens_per_second",
			Help:    "Per request: tokens generated after the first, per second.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14),
		}),
	}
	m.reg.MustRegister(m.requests, m.batchSize, m.prompt, m.completion, m.ttft, m.decodeRate,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "llsum_serve_queue_depth",
			Help: "Requests waiting for a batch.",
		}, func() float64 { return float64(len(s.queue)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "llsum_serve_requests_in_flight",
			Help: "Requests accepted and not yet answered (queued or running).",
		}, func() float64 { return float64(s.pending.Load()) }),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// counted counts h's answers by status.
func (m *metrics) counted(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		h(rec, r)
		status := rec.status
		if status == 0 || (status == http.StatusOK && r.Context().Err() != nil) {
			status = statusClientGone
		}
		m.requests.WithLabelValues(strconv.Itoa(status)).Inc()
	}
}

// batchStarted records the size of a batch about to run.
func (m *metrics) batchStarted(batch []*job, _ time.Time) {
	m.batchSize.Observe(float64(len(batch)))
}

// answered records a request answered in full.
func (m *metrics) answered(j *job, res infer.ChatResult) {
	m.prompt.Add(float64(res.PromptTokens))
	m.completion.Add(float64(res.CompletionTokens))
	if ttft, ok, rate := j.progress.timing(); ok {
		m.ttft.Observe(ttft.Seconds())
		if rate > 0 {
			m.decodeRate.Observe(rate)
		}
	}
}

// statusRecorder remembers the status written; Unwrap lets
// http.ResponseController reach the connection's Flush.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
