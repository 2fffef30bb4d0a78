package emulator

import "crypto/sha256"

// Input token accounting and prompt caching.
//
// Tokens are estimated as one per four bytes of text (at least one per
// non-empty piece), images count 100, in prompt order: tools, system,
// messages. A cachePoint marks the end of a cacheable prefix. The emulator
// remembers the prefixes it has seen (per model): a request whose prefix
// was written before reads it (cacheReadInputTokens); the part up to its
// last cachePoint not read from cache is written (cacheWriteInputTokens).
// inputTokens is the rest, as Bedrock reports it for Anthropic models.
// Unlike Bedrock there is no minimum cacheable length and no TTL, so short
// test prompts show cache activity.

const imageTokens = 100

func estimateTokens(s string) int {
	if s == "" {
		return 0
	}
	return (len(s) + 3) / 4
}

// maxCacheEntries bounds the prefix memory of a long-running emulator.
const maxCacheEntries = 10000

type cachePrefix struct {
	key    [32]byte
	tokens int
}

func (e *Emulator) inputUsage(t *turn) usage {
	total := 0
	var points []cachePrefix
	var buf []byte // the prompt so far, serialized; only kept when caching
	caching := t.hasCachePoints()
	if caching {
		buf = append(buf, t.model.ID...)
	}
	add := func(tokens int, v any) {
		total += tokens
		if caching {
			buf = append(buf, mustJSON(v)...)
		}
	}
	mark := func() {
		points = append(points, cachePrefix{key: sha256.Sum256(buf), tokens: total})
	}
	if tc := t.req.ToolConfig; tc != nil {
		for _, tl := range tc.Tools {
			if tl.CachePoint != nil {
				mark()
				continue
			}
			if ts := tl.ToolSpec; ts != nil {
				n := estimateTokens(ts.Name)
				if ts.Description != nil {
					n += estimateTokens(*ts.Description)
				}
				if ts.InputSchema != nil {
					n += estimateTokens(string(ts.InputSchema.JSON))
				}
				add(n, tl)
			}
		}
	}
	for _, s := range t.req.System {
		switch {
		case s.CachePoint != nil:
			mark()
		case s.Text != nil:
			add(estimateTokens(*s.Text), s)
		}
	}
	for _, msg := range t.req.Messages {
		for _, b := range msg.Content {
			if b.CachePoint != nil {
				mark()
				continue
			}
			add(blockTokens(&b), b)
		}
	}
	total = max(total, 1)
	u := usage{input: total}
	if len(points) == 0 {
		return u
	}
	e.cacheMu.Lock()
	read := 0
	for _, p := range points {
		if _, ok := e.cache[p.key]; ok && p.tokens > read {
			read = p.tokens
		}
	}
	if len(e.cache)+len(points) > maxCacheEntries {
		clear(e.cache)
	}
	for _, p := range points {
		e.cache[p.key] = struct{}{}
	}
	e.cacheMu.Unlock()
	last := points[len(points)-1].tokens
	u.cacheRead = read
	u.cacheWrite = max(last-read, 0)
	u.input = max(total-u.cacheRead-u.cacheWrite, 0)
	return u
}

func (t *turn) hasCachePoints() bool {
	if tc := t.req.ToolConfig; tc != nil {
		for _, tl := range tc.Tools {
			if tl.CachePoint != nil {
				return true
			}
		}
	}
	for _, s := range t.req.System {
		if s.CachePoint != nil {
			return true
		}
	}
	for _, m := range t.req.Messages {
		for _, b := range m.Content {
			if b.CachePoint != nil {
				return true
			}
		}
	}
	return false
}

func blockTokens(b *contentBlock) int {
	switch {
	case b.Text != nil:
		return estimateTokens(*b.Text)
	case b.Image != nil:
		return imageTokens
	case b.Document != nil:
		n := 0
		if s := b.Document.Source.Bytes; s != nil {
			n = estimateTokens(*s) * 3 / 4
		}
		if s := b.Document.Source.Text; s != nil {
			n = estimateTokens(*s)
		}
		return max(n, 1)
	case b.ToolUse != nil:
		return estimateTokens(b.ToolUse.Name) + estimateTokens(string(b.ToolUse.Input))
	case b.ToolResult != nil:
		n := 0
		for _, c := range b.ToolResult.Content {
			switch {
			case c.Text != nil:
				n += estimateTokens(*c.Text)
			case c.JSON != nil:
				n += estimateTokens(string(c.JSON))
			case c.Image != nil:
				n += imageTokens
			}
		}
		return max(n, 1)
	case b.ReasoningContent != nil:
		if rt := b.ReasoningContent.ReasoningText; rt != nil {
			return estimateTokens(rt.Text)
		}
		return 1
	}
	return 0
}
