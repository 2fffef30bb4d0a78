package emulator

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// ConverseStream: the plan rendered as binary event-stream frames, one
// Write and one Flush per frame, so a client sees each delta as soon as it
// is "generated" and a cut or a cancellation lands between frames.

func eventHeaders(eventType string) eventstream.Headers {
	var h eventstream.Headers
	h.Set(":event-type", eventstream.StringValue(eventType))
	h.Set(":content-type", eventstream.StringValue("application/json"))
	h.Set(":message-type", eventstream.StringValue("event"))
	return h
}

// Frame headers never change, so they are built once and shared
// (the encoder only reads them).
var (
	hdrMessageStart      = eventHeaders("messageStart")
	hdrContentBlockStart = eventHeaders("contentBlockStart")
	hdrContentBlockDelta = eventHeaders("contentBlockDelta")
	hdrContentBlockStop  = eventHeaders("contentBlockStop")
	hdrMessageStop       = eventHeaders("messageStop")
	hdrMetadata          = eventHeaders("metadata")
)

func exceptionHeaders(exceptionType string) eventstream.Headers {
	var h eventstream.Headers
	h.Set(":exception-type", eventstream.StringValue(exceptionType))
	h.Set(":content-type", eventstream.StringValue("application/json"))
	h.Set(":message-type", eventstream.StringValue("exception"))
	return h
}

var errClientGone = errors.New("client went away")

type frameWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	enc     *eventstream.Encoder
	ctx     context.Context
	payload []byte // reused payload buffer
}

func (f *frameWriter) send(h eventstream.Headers, payload []byte) error {
	if f.ctx.Err() != nil {
		return errClientGone
	}
	if err := f.enc.Encode(f.w, eventstream.Message{Headers: h, Payload: payload}); err != nil {
		return errClientGone
	}
	if err := f.rc.Flush(); err != nil {
		return errClientGone
	}
	return nil
}

func (f *frameWriter) pause(ms int) error {
	if ms <= 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-f.ctx.Done():
		return errClientGone
	}
}

func (e *Emulator) handleConverseStream(w http.ResponseWriter, r *http.Request, body []byte, start time.Time) {
	t, p, aerr := e.accept(r, body, true)
	if aerr != nil {
		e.writeError(w, aerr)
		return
	}

	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	e.stats.active.Add(1)
	defer e.stats.active.Add(-1)

	f := &frameWriter{w: w, rc: http.NewResponseController(w), enc: eventstream.NewEncoder(), ctx: r.Context(),
		payload: make([]byte, 0, 256)}
	switch err := e.streamPlan(f, t, p, start); {
	case err == nil:
		e.stats.completed.Add(1)
	case errors.Is(err, errClientGone):
		e.stats.cancelled.Add(1)
		e.log.Info("stream cancelled by client", "model", t.model.ID)
	case errors.Is(err, errCut):
		// Server-side abort: the connection is dropped mid-stream with no
		// messageStop, which is what [[emulate:cut-after=N]] asks for.
		panic(http.ErrAbortHandler)
	}
}

var errCut = errors.New("emulated cut")

// streamPlan writes the frames. It returns nil when the stream ended as
// planned (including a planned exception frame), errClientGone or errCut.
func (e *Emulator) streamPlan(f *frameWriter, t *turn, p *plan, start time.Time) error {
	d := &t.dir
	if err := f.send(hdrMessageStart, []byte(`{"role":"assistant"}`)); err != nil {
		return err
	}
	deltas := 0
	// afterDelta runs the per-delta directives; done=true ends the stream.
	afterDelta := func() (done bool, err error) {
		if d.errorAfter == deltas {
			e.stats.reject("ModelStreamErrorException")
			b := append(f.payload[:0], `{"message":"The model stream was interrupted (emulated by [[emulate:error-after=`...)
			b = appendInt(b, deltas)
			b = append(b, `]]).","originalStatusCode":500,"originalMessage":"emulated model failure"}`...)
			return true, f.send(exceptionHeaders("modelStreamErrorException"), b)
		}
		if d.cutAfter == deltas {
			return true, errCut
		}
		return false, nil
	}
	if done, err := afterDelta(); done {
		return err
	}
	idx := 0
	for i := range p.blocks {
		blk := &p.blocks[i]
		if len(blk.chunks) == 0 {
			continue
		}
		if blk.kind == blockToolUse {
			b := append(f.payload[:0], `{"contentBlockIndex":`...)
			b = appendInt(b, idx)
			b = append(b, `,"start":{"toolUse":{"toolUseId":`...)
			b = appendJSONString(b, blk.toolID)
			b = append(b, `,"name":`...)
			b = appendJSONString(b, blk.toolName)
			b = append(b, `}}}`...)
			if err := f.send(hdrContentBlockStart, b); err != nil {
				return err
			}
		}
		for _, c := range blk.chunks {
			if deltas > 0 {
				if err := f.pause(d.delayMs); err != nil {
					return err
				}
			}
			b := append(f.payload[:0], `{"contentBlockIndex":`...)
			b = appendInt(b, idx)
			switch blk.kind {
			case blockReasoning:
				b = append(b, `,"delta":{"reasoningContent":{"text":`...)
				b = appendJSONString(b, c)
				b = append(b, `}}}`...)
			case blockText:
				b = append(b, `,"delta":{"text":`...)
				b = appendJSONString(b, c)
				b = append(b, `}}`...)
			case blockToolUse:
				b = append(b, `,"delta":{"toolUse":{"input":`...)
				b = appendJSONString(b, c)
				b = append(b, `}}}`...)
			}
			if err := f.send(hdrContentBlockDelta, b); err != nil {
				return err
			}
			deltas++
			if done, err := afterDelta(); done {
				return err
			}
		}
		if blk.signature != "" {
			b := append(f.payload[:0], `{"contentBlockIndex":`...)
			b = appendInt(b, idx)
			b = append(b, `,"delta":{"reasoningContent":{"signature":`...)
			b = appendJSONString(b, blk.signature)
			b = append(b, `}}}`...)
			if err := f.send(hdrContentBlockDelta, b); err != nil {
				return err
			}
		}
		b := append(f.payload[:0], `{"contentBlockIndex":`...)
		b = appendInt(b, idx)
		b = append(b, '}')
		if err := f.send(hdrContentBlockStop, b); err != nil {
			return err
		}
		idx++
	}
	b := append(f.payload[:0], `{"stopReason":`...)
	b = appendJSONString(b, p.stopReason)
	b = append(b, '}')
	if err := f.send(hdrMessageStop, b); err != nil {
		return err
	}
	b = append(f.payload[:0], `{"usage":`...)
	b = appendUsage(b, p.usage, t.hasCachePoints())
	b = append(b, `,"metrics":{"latencyMs":`...)
	b = appendInt(b, int(time.Since(start).Milliseconds()))
	b = append(b, `}}`...)
	return f.send(hdrMetadata, b)
}
