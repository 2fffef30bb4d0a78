package loadgen

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// LoadResult is one closed-loop load run.
type LoadResult struct {
	Concurrency int           `json:"concurrency"`
	Calls       int64         `json:"calls"`
	Errors      int64         `json:"errors"`
	FirstErr    string        `json:"first_error,omitempty"`
	Units       int64         `json:"units"` // what the calls returned summed (stream deltas)
	Elapsed     time.Duration `json:"elapsed_ns"`
	Latency     Summary       `json:"latency"`
}

// PerSecond is successful calls per second.
func (r LoadResult) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Calls-r.Errors) / r.Elapsed.Seconds()
}

// Closed runs fn from conc workers back to back for d and records each call's latency. fn returns a count of units
// (e.g. deltas) and an error.
func Closed(ctx context.Context, conc int, d time.Duration, fn func(context.Context) (int, error)) LoadResult {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second) // a hung call fails rather than hangs the run
	defer cancel()
	var rec Recorder
	var calls, errs, units atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for range conc {
		wg.Go(func() {
			local := make([]time.Duration, 0, 4096)
			for time.Now().Before(end) && ctx.Err() == nil {
				t0 := time.Now()
				n, err := fn(ctx)
				local = append(local, time.Since(t0))
				calls.Add(1)
				units.Add(int64(n))
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
			rec.AddAll(local)
		})
	}
	wg.Wait()
	r := LoadResult{Concurrency: conc, Calls: calls.Load(), Errors: errs.Load(), Units: units.Load(),
		Elapsed: time.Since(start), Latency: rec.Summary()}
	if v, ok := firstErr.Load().(string); ok {
		r.FirstErr = v
	}
	return r
}
