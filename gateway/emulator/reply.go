package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The reply planner: a validated turn becomes a list of output blocks,
// each already cut into the deltas ConverseStream sends, plus a stop
// reason and usage. Converse renders the same plan in one response, so
// both operations always agree.

type blockKind int

const (
	blockReasoning blockKind = iota
	blockText
	blockToolUse
)

type outBlock struct {
	kind      blockKind
	chunks    []string // deltas: words for text and reasoning, JSON fragments for tool input
	tokens    []int    // output tokens per chunk
	signature string   // reasoning signature (Claude), empty for unsigned reasoning
	toolID    string
	toolName  string
}

func (b *outBlock) text() string { return strings.Join(b.chunks, "") }

type usage struct {
	input, output, cacheRead, cacheWrite int
}

type plan struct {
	blocks     []outBlock
	stopReason string
	usage      usage
}

// guardrailText is Bedrock's default blocked-input message.
const guardrailText = "Sorry, the model cannot answer this question."

// fillerWords make [[emulate:words=N]] replies.
var fillerWords = strings.Fields("The quick brown fox jumps over the lazy dog while the emulator streams another word.")

func (e *Emulator) plan(t *turn) *plan {
	p := &plan{stopReason: "end_turn"}
	m := t.model
	d := &t.dir

	if d.guardrail {
		p.blocks = append(p.blocks, wordBlock(blockText, guardrailText))
		p.stopReason = "guardrail_intervened"
		p.usage = e.inputUsage(t)
		p.usage.output = countTokens(p.blocks)
		return p
	}

	callTools := len(t.toolNames) > 0 && (t.choice == "any" || t.choice == "tool" || d.tool != "" || d.tools > 0 ||
		len(t.toolResults) == 0)

	if m.Reasoning == reasoningAlwaysUnsigned || (m.Reasoning == reasoningSigned && t.thinking) {
		p.blocks = append(p.blocks, wordBlock(blockReasoning, reasoningText(t, callTools)))
	}

	if callTools {
		names := t.pickTools()
		if m.ToolPreamble {
			p.blocks = append(p.blocks, wordBlock(blockText, "I'll use the "+strings.Join(dedupe(names), " and ")+" tool to help with that."))
		}
		for i, name := range names {
			input := exampleFromSchema(t.toolSchemas[name])
			b := outBlock{kind: blockToolUse, toolName: name, toolID: toolUseID(t, i, name)}
			for _, f := range fragments(string(input), 12) {
				b.chunks = append(b.chunks, f)
				b.tokens = append(b.tokens, (len(f)+3)/4)
			}
			p.blocks = append(p.blocks, b)
		}
		p.stopReason = "tool_use"
	} else {
		p.blocks = append(p.blocks, t.answer())
	}

	p.applyStopSequences(t.stopSeqs)
	limit := t.maxTokens
	if d.stop == "max_tokens" {
		limit = min(limit, max(countTokens(p.blocks)/2, 1))
	}
	p.truncate(limit)

	for i := range p.blocks {
		if b := &p.blocks[i]; b.kind == blockReasoning && m.Reasoning == reasoningSigned {
			b.signature = e.signReasoning(b.text())
		}
	}
	p.usage = e.inputUsage(t)
	p.usage.output = countTokens(p.blocks)
	return p
}

// answer is the text block for a turn without tool calls.
func (t *turn) answer() outBlock {
	d := &t.dir
	switch {
	case t.outputSchema != nil:
		b := outBlock{kind: blockText}
		for _, f := range fragments(string(exampleFromSchema(t.outputSchema)), 12) {
			b.chunks = append(b.chunks, f)
			b.tokens = append(b.tokens, 1)
		}
		return b
	case d.words >= 0:
		w := make([]string, d.words)
		for i := range w {
			w[i] = fillerWords[i%len(fillerWords)]
		}
		if d.words == 0 {
			return outBlock{kind: blockText}
		}
		return wordBlock(blockText, strings.Join(w, " "))
	case len(t.toolResults) > 0:
		return wordBlock(blockText, "The tool returned: "+strings.Join(t.toolResults, "; "))
	case t.lastUserText != "":
		return wordBlock(blockText, "You said: "+t.lastUserText)
	case t.lastImages > 0:
		return wordBlock(blockText, "I see "+plural(t.lastImages, "image")+".")
	case t.lastDocuments > 0:
		return wordBlock(blockText, "I read "+plural(t.lastDocuments, "document")+".")
	}
	return wordBlock(blockText, "Hello! How can I help you today?")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func reasoningText(t *turn, callTools bool) string {
	words := strings.Fields(t.lastUserText)
	if len(words) > 12 {
		words = words[:12]
	}
	s := "The user wrote \"" + strings.Join(words, " ") + "\"."
	if len(t.toolResults) > 0 {
		s = "I received the tool results."
	}
	if callTools {
		return s + " I should call a tool before answering."
	}
	return s + " I will answer briefly."
}

// pickTools chooses the tools to call: the one named by the directive or
// by toolChoice.tool, else the first offered; [[emulate:tools=N]] calls N
// (cycling through the offered tools unless one is forced).
func (t *turn) pickTools() []string {
	n := 1
	if t.dir.tools > 0 {
		n = t.dir.tools
	}
	start, forced := 0, false
	if t.choice == "tool" {
		forced = true
		for i, nm := range t.toolNames {
			if nm == t.choiceName {
				start = i
			}
		}
	} else if t.dir.tool != "" {
		for i, nm := range t.toolNames {
			if nm == t.dir.tool {
				start = i
			}
		}
	}
	names := make([]string, n)
	for i := range names {
		if forced {
			names[i] = t.toolNames[start]
		} else {
			names[i] = t.toolNames[(start+i)%len(t.toolNames)]
		}
	}
	return names
}

func dedupe(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// toolUseID is deterministic for a given conversation position, and
// differs between turns and between parallel calls.
func toolUseID(t *turn, i int, name string) string {
	h := sha256.New()
	h.Write([]byte(t.model.ID))
	h.Write([]byte{0})
	h.Write([]byte(t.lastUserText))
	h.Write([]byte{0, byte(len(t.req.Messages)), byte(len(t.req.Messages) >> 8), byte(i)})
	h.Write([]byte(name))
	sum := h.Sum(nil)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	id := make([]byte, 0, 30)
	id = append(id, "tooluse_"...)
	for _, c := range sum[:22] {
		id = append(id, alphabet[int(c)%len(alphabet)])
	}
	return string(id)
}

// wordBlock cuts text into one-word deltas, each carrying its leading
// space, so joining the deltas gives back the text exactly.
func wordBlock(kind blockKind, text string) outBlock {
	b := outBlock{kind: kind}
	start := 0
	for i := 1; i <= len(text); i++ {
		if i == len(text) || (text[i] == ' ' && text[i-1] != ' ') {
			b.chunks = append(b.chunks, text[start:i])
			b.tokens = append(b.tokens, 1)
			start = i
		}
	}
	return b
}

// fragments cuts s into pieces of about n bytes on rune boundaries, at
// least two when s has two runes, like the JSON fragments models stream.
func fragments(s string, n int) []string {
	if utf8.RuneCountInString(s) < 2 {
		return []string{s}
	}
	if len(s) <= n {
		n = (len(s) + 1) / 2
	}
	var out []string
	for len(s) > 0 {
		cut := min(n, len(s))
		for cut < len(s) && !utf8.RuneStart(s[cut]) {
			cut++
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return out
}

func countTokens(blocks []outBlock) int {
	n := 0
	for _, b := range blocks {
		for _, t := range b.tokens {
			n += t
		}
	}
	return n
}

// applyStopSequences cuts the first text block containing a stop sequence
// just before it, dropping everything after (as a model stops generating).
func (p *plan) applyStopSequences(seqs []string) {
	if len(seqs) == 0 {
		return
	}
	for i := range p.blocks {
		b := &p.blocks[i]
		if b.kind != blockText {
			continue
		}
		text := b.text()
		cut := -1
		for _, s := range seqs {
			if j := strings.Index(text, s); j >= 0 && (cut < 0 || j < cut) {
				cut = j
			}
		}
		if cut < 0 {
			continue
		}
		*b = wordBlock(blockText, text[:cut])
		p.blocks = p.blocks[:i+1]
		if len(b.chunks) == 0 {
			p.blocks = p.blocks[:i]
		}
		p.stopReason = "stop_sequence"
		return
	}
}

// truncate enforces the output token limit: deltas past it are never
// generated, and a tool call that does not fit is dropped whole.
func (p *plan) truncate(limit int) {
	used := 0
	for i := range p.blocks {
		b := &p.blocks[i]
		for j, t := range b.tokens {
			if used+t > limit {
				if b.kind == blockToolUse || j == 0 {
					p.blocks = p.blocks[:i]
				} else {
					b.chunks, b.tokens = b.chunks[:j], b.tokens[:j]
					p.blocks = p.blocks[:i+1]
				}
				p.stopReason = "max_tokens"
				return
			}
			used += t
		}
	}
}

// Reasoning signatures are HMACs under a key derived from the emulator's
// account and region: stable across restarts, unforgeable by a client
// that edits the reasoning text.
func (e *Emulator) signReasoning(text string) string {
	mac := hmac.New(sha256.New, e.reasoningKey)
	mac.Write([]byte(text))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (e *Emulator) verifyReasoningSignature(text, sig string) bool {
	return hmac.Equal([]byte(e.signReasoning(text)), []byte(sig))
}
