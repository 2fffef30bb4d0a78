package loadgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// StreamResult is what a chat completion SSE stream carried.
type StreamResult struct {
	Chunks       int           // data events that were chat.completion.chunk objects
	Deltas       int           // chunks carrying content, reasoning or tool-call argument text
	Pings        int           // ": ping" comments
	Role         bool          // a chunk announced the assistant role
	FinishReason string        // the last finish_reason seen ("" if none)
	Finishes     int           // chunks with a finish_reason
	Usage        bool          // a usage chunk was seen
	Done         bool          // "data: [DONE]" was seen
	Error        *StreamError  // an error event, if any
	AfterDone    bool          // anything but blank lines after [DONE]
	AfterError   bool          // a chunk after the error event
	FinishAfter  bool          // content after a finish_reason (in the same choice)
	Malformed    string        // first data payload that was not JSON, or another framing fault
	ReadErr      error         // the body read failed (connection cut, timeout)
	FirstDelta   time.Duration // from the start passed to ReadSSE to the first delta
	Elapsed      time.Duration // from start to the end of the body
}

// StreamError is an OpenAI-shaped error event inside a stream.
type StreamError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Code    *string `json:"code"`
}

type sseChunk struct {
	Object  string `json:"object"`
	Choices []struct {
		Delta struct {
			Role             string  `json:"role"`
			Content          *string `json:"content"`
			ReasoningContent *string `json:"reasoning_content"`
			ToolCalls        []struct {
				Function struct {
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *json.RawMessage `json:"usage"`
	Error *json.RawMessage `json:"error"`
}

var (
	dataPrefix = []byte("data: ")
	doneData   = []byte("[DONE]")
)

// ReadSSE reads a chat completion stream to its end. start is when the request was sent (for FirstDelta and
// Elapsed); onDelta, if not nil, is called at every delta.
func ReadSSE(r io.Reader, start time.Time, onDelta func()) StreamResult {
	var res StreamResult
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 4<<20)
	finished := false
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			continue
		case line[0] == ':':
			res.Pings++
			continue
		case !bytes.HasPrefix(line, dataPrefix):
			if res.Malformed == "" {
				res.Malformed = "not an SSE data line: " + clip(line)
			}
			continue
		}
		payload := line[len(dataPrefix):]
		if res.Done {
			res.AfterDone = true
			continue
		}
		if bytes.Equal(payload, doneData) {
			res.Done = true
			continue
		}
		var c sseChunk
		if err := json.Unmarshal(payload, &c); err != nil {
			if res.Malformed == "" {
				res.Malformed = "data is not JSON: " + clip(payload)
			}
			continue
		}
		if c.Error != nil {
			var e StreamError
			if err := json.Unmarshal(*c.Error, &e); err != nil || e.Message == "" {
				res.Malformed = "error event without a message: " + clip(payload)
			}
			if res.Error == nil {
				res.Error = &e
			}
			continue
		}
		if res.Error != nil {
			res.AfterError = true
		}
		if c.Object != "chat.completion.chunk" {
			if res.Malformed == "" {
				res.Malformed = "not a chat.completion.chunk: " + clip(payload)
			}
			continue
		}
		res.Chunks++
		if c.Usage != nil && string(*c.Usage) != "null" {
			res.Usage = true
		}
		for _, ch := range c.Choices {
			d := ch.Delta
			if d.Role == "assistant" {
				res.Role = true
			}
			text := (d.Content != nil && *d.Content != "") || (d.ReasoningContent != nil && *d.ReasoningContent != "")
			for _, tc := range d.ToolCalls {
				text = text || tc.Function.Arguments != ""
			}
			if text {
				if finished {
					res.FinishAfter = true
				}
				res.Deltas++
				if res.Deltas == 1 {
					res.FirstDelta = time.Since(start)
				}
				if onDelta != nil {
					onDelta()
				}
			}
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				res.FinishReason = *ch.FinishReason
				res.Finishes++
				finished = true
			}
		}
	}
	res.ReadErr = sc.Err()
	res.Elapsed = time.Since(start)
	return res
}

func clip(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "…"
	}
	return string(b)
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

// Verify checks a stream against the contract. wantDeltas > 0 also checks the number of deltas (clean streams only).
func (r StreamResult) Verify(want Expect, wantDeltas int) error {
	var errs []error
	if r.ReadErr != nil {
		errs = append(errs, fmt.Errorf("body read failed: %v", r.ReadErr))
	}
	if r.Malformed != "" {
		errs = append(errs, errors.New(r.Malformed))
	}
	if !r.Done {
		errs = append(errs, errors.New("no [DONE]: the stream was lost or mis-ended"))
	}
	if r.AfterDone {
		errs = append(errs, errors.New("data after [DONE]"))
	}
	if r.AfterError {
		errs = append(errs, errors.New("chunks after the error event"))
	}
	if r.FinishAfter {
		errs = append(errs, errors.New("deltas after finish_reason"))
	}
	if r.Finishes > 1 {
		errs = append(errs, fmt.Errorf("%d finish_reason chunks", r.Finishes))
	}
	switch want {
	case ExpectFinish:
		if r.Error != nil {
			errs = append(errs, fmt.Errorf("unexpected error event: %s: %s", r.Error.Type, r.Error.Message))
		}
		if r.FinishReason == "" {
			errs = append(errs, errors.New("no finish_reason"))
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
