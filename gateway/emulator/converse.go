package emulator

import (
	"net/http"
	"time"
)

// preflight applies the directives that fail a request before any output:
// [[emulate:throttle]] and [[emulate:error=NAME]].
func preflight(t *turn) *apiError {
	if t.dir.throttle {
		return newError("ThrottlingException", "")
	}
	if name := t.dir.errorName; name != "" {
		if _, ok := errorStatus[name]; !ok {
			return validation("Unknown error type in [[emulate:error=" + name + "]].")
		}
		return newError(name, "")
	}
	return nil
}

// accept resolves the model, validates the request like Bedrock, applies error directives and plans the reply:
// everything Converse and ConverseStream do before the first byte.
func (e *Emulator) accept(r *http.Request, body []byte, stream bool) (*turn, *plan, *apiError) {
	m, aerr := e.resolveModel(r)
	if aerr != nil {
		return nil, nil, aerr
	}
	t, aerr := e.prepare(m, body, stream)
	if aerr == nil {
		aerr = preflight(t)
	}
	if aerr != nil {
		return nil, nil, aerr
	}
	return t, e.plan(t), nil
}

func (e *Emulator) handleConverse(w http.ResponseWriter, r *http.Request, body []byte, start time.Time) {
	t, p, aerr := e.accept(r, body, false)
	if aerr != nil {
		e.writeError(w, aerr)
		return
	}
	if t.dir.delayMs > 0 {
		// One pause for the whole reply; a client that gives up ends it.
		timer := time.NewTimer(time.Duration(t.dir.delayMs) * time.Millisecond)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return
		}
	}
	if t.dir.cutAfter >= 0 {
		// The connection drops before a response: the client sees a
		// transport error, as with a network failure.
		panic(http.ErrAbortHandler)
	}
	writeJSON(w, renderConverse(p, time.Since(start)))
}

// renderConverse writes the Converse response body by hand (see
// appendJSONString for why).
func renderConverse(p *plan, elapsed time.Duration) []byte {
	b := make([]byte, 0, 512)
	b = append(b, `{"output":{"message":{"role":"assistant","content":[`...)
	first := true
	for i := range p.blocks {
		blk := &p.blocks[i]
		if len(blk.chunks) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		switch blk.kind {
		case blockReasoning:
			b = append(b, `{"reasoningContent":{"reasoningText":{"text":`...)
			b = appendJSONString(b, blk.text())
			if blk.signature != "" {
				b = append(b, `,"signature":`...)
				b = appendJSONString(b, blk.signature)
			}
			b = append(b, `}}}`...)
		case blockText:
			b = append(b, `{"text":`...)
			b = appendJSONString(b, blk.text())
			b = append(b, '}')
		case blockToolUse:
			b = append(b, `{"toolUse":{"toolUseId":`...)
			b = appendJSONString(b, blk.toolID)
			b = append(b, `,"name":`...)
			b = appendJSONString(b, blk.toolName)
			b = append(b, `,"input":`...)
			b = append(b, blk.text()...)
			b = append(b, `}}`...)
		}
	}
	b = append(b, `]}},"stopReason":`...)
	b = appendJSONString(b, p.stopReason)
	b = append(b, `,"usage":`...)
	b = appendUsage(b, p.usage, true)
	b = append(b, `,"metrics":{"latencyMs":`...)
	b = appendInt(b, int(elapsed.Milliseconds()))
	b = append(b, `}}`...)
	return b
}

func appendUsage(b []byte, u usage, withCache bool) []byte {
	b = append(b, `{"inputTokens":`...)
	b = appendInt(b, u.input)
	b = append(b, `,"outputTokens":`...)
	b = appendInt(b, u.output)
	b = append(b, `,"totalTokens":`...)
	b = appendInt(b, u.input+u.output+u.cacheRead+u.cacheWrite)
	if withCache {
		b = append(b, `,"cacheReadInputTokens":`...)
		b = appendInt(b, u.cacheRead)
		b = append(b, `,"cacheWriteInputTokens":`...)
		b = appendInt(b, u.cacheWrite)
	}
	return append(b, '}')
}
