package loadgen

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/openwebui-bedrock/gateway/ssecheck"
)

// StreamResult is what a chat completion SSE stream carried, with its timing.
type StreamResult struct {
	ssecheck.Summary
	FirstDelta time.Duration // from the start passed to ReadSSE to the first delta
	Elapsed    time.Duration // from start to the end of the body
}

// ReadSSE reads a chat completion stream to its end. start is when the request was sent (for FirstDelta and
// Elapsed); onDelta, if not nil, is called at every delta. The caller may not know whether include_usage was set,
// so a usage chunk is checked if present but not required.
func ReadSSE(r io.Reader, start time.Time, onDelta func()) StreamResult {
	s := ssecheck.Read(r, ssecheck.Options{OnDelta: onDelta})
	res := StreamResult{Summary: s, Elapsed: time.Since(start)}
	if !s.FirstDeltaAt.IsZero() {
		res.FirstDelta = s.FirstDeltaAt.Sub(start)
	}
	return res
}

// Expect says how a stream is supposed to end.
type Expect int

const (
	// ExpectFinish: a clean answer (finish_reason, then [DONE], no error event).
	ExpectFinish Expect = iota
	// ExpectError: a fault was injected after the stream started, so it must end with an error event and [DONE],
	// never with a finish_reason.
	ExpectError
)

// Verify reports the stream's contract violations and whether it ended as expected. wantDeltas > 0 also checks
// the number of deltas (clean streams only).
func (r StreamResult) Verify(want Expect, wantDeltas int) error {
	var errs []error
	if r.ReadErr != nil {
		errs = append(errs, fmt.Errorf("body read failed: %v", r.ReadErr))
	}
	errs = append(errs, r.Violations...)
	switch want {
	case ExpectFinish:
		if r.Error != nil {
			errs = append(errs, fmt.Errorf("unexpected error event: %s: %s", r.Error.Type, r.Error.Message))
		}
		if wantDeltas > 0 && r.Deltas != wantDeltas {
			errs = append(errs, fmt.Errorf("%d deltas, want %d", r.Deltas, wantDeltas))
		}
	case ExpectError:
		if r.Error == nil {
			errs = append(errs, errors.New("fault injected but no error event"))
		}
		if r.FinishReason != "" {
			errs = append(errs, fmt.Errorf("fault injected but the stream finished cleanly (finish_reason %q)", r.FinishReason))
		}
	}
	return errors.Join(errs...)
}
