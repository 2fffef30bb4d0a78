// Package loadgen holds what the gateway's measurement commands (gateway-bench, gateway-soak) share: latency
// percentiles, an SSE stream verifier, process accounting from /proc, and helpers that build and start the emulator
// and the gateway as separate child processes.
package loadgen

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of sorted durations: the smallest value with at
// least p% of the samples at or below it. Empty input gives 0.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Summary describes a latency sample.
type Summary struct {
	N    int           `json:"n"`
	Mean time.Duration `json:"mean_ns"`
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P99  time.Duration `json:"p99_ns"`
	Max  time.Duration `json:"max_ns"`
}

// Summarize sorts d in place and summarizes it.
func Summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	return Summary{N: len(d), Mean: sum / time.Duration(len(d)), P50: Percentile(d, 50), P90: Percentile(d, 90),
		P99: Percentile(d, 99), Max: d[len(d)-1]}
}

// Recorder collects durations from many goroutines.
type Recorder struct {
	mu sync.Mutex
	d  []time.Duration
}

func (r *Recorder) Add(d time.Duration) {
	r.mu.Lock()
	r.d = append(r.d, d)
	r.mu.Unlock()
}

// AddAll merges a worker's local sample (cheaper than Add per call under contention).
func (r *Recorder) AddAll(d []time.Duration) {
	r.mu.Lock()
	r.d = append(r.d, d...)
	r.mu.Unlock()
}

// Summary summarizes a copy of what was recorded so far.
func (r *Recorder) Summary() Summary {
	r.mu.Lock()
	d := slices.Clone(r.d)
	r.mu.Unlock()
	return Summarize(d)
}

// Ms formats a duration as milliseconds with three decimals.
func Ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
