package emulator

import (
	"sync"
	"sync/atomic"
)

// Stats is a snapshot of what the emulator has served, returned by
// Emulator.Stats and GET /_emulator/stats. Tests use it to prove that a
// client's disconnect really reached the upstream (StreamsCancelled).
type Stats struct {
	// Requests counts requests routed to each operation (Converse,
	// ConverseStream, InvokeModel, ListFoundationModels,
	// ListInferenceProfiles, …), whatever their outcome.
	Requests map[string]int64 `json:"requests"`
	// StreamsActive is the number of ConverseStream responses being written.
	StreamsActive int64 `json:"streams_active"`
	// StreamsCompleted counts streams that reached metadata (or a planned
	// exception frame) with the client still listening.
	StreamsCompleted int64 `json:"streams_completed"`
	// StreamsCancelled counts streams whose client went away before the end.
	StreamsCancelled int64 `json:"streams_cancelled"`
	// Rejected counts error responses and exception frames by error type.
	Rejected map[string]int64 `json:"rejected"`
}

// Operation names, as AWS names them.
const (
	opConverse              = "Converse"
	opConverseStream        = "ConverseStream"
	opInvokeModel           = "InvokeModel"
	opListFoundationModels  = "ListFoundationModels"
	opGetFoundationModel    = "GetFoundationModel"
	opListInferenceProfiles = "ListInferenceProfiles"
	opGetInferenceProfile   = "GetInferenceProfile"
)

var operations = []string{opConverse, opConverseStream, opInvokeModel, opListFoundationModels,
	opGetFoundationModel, opListInferenceProfiles, opGetInferenceProfile}

// counters are lock-free on the hot path: one atomic per known operation.
type counters struct {
	requests  map[string]*atomic.Int64 // fixed key set, read-only after init
	active    atomic.Int64
	completed atomic.Int64
	cancelled atomic.Int64

	mu       sync.Mutex
	rejected map[string]int64
}

func newCounters() *counters {
	c := &counters{requests: map[string]*atomic.Int64{}, rejected: map[string]int64{}}
	for _, op := range operations {
		c.requests[op] = new(atomic.Int64)
	}
	return c
}

func (c *counters) request(op string) {
	if n := c.requests[op]; n != nil {
		n.Add(1)
	}
}

func (c *counters) reject(typ string) {
	c.mu.Lock()
	c.rejected[typ]++
	c.mu.Unlock()
}

func (c *counters) snapshot() Stats {
	s := Stats{Requests: map[string]int64{}, Rejected: map[string]int64{}}
	for op, n := range c.requests {
		if v := n.Load(); v > 0 {
			s.Requests[op] = v
		}
	}
	s.StreamsActive = c.active.Load()
	s.StreamsCompleted = c.completed.Load()
	s.StreamsCancelled = c.cancelled.Load()
	c.mu.Lock()
	for k, v := range c.rejected {
		s.Rejected[k] = v
	}
	c.mu.Unlock()
	return s
}
