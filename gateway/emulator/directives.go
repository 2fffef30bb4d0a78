package emulator

import (
	"strconv"
	"strings"
)

// directives are the [[emulate:…]] instructions found in the last user
// message. -1 means "not given" for the numeric ones.
type directives struct {
	throttle   bool
	errorName  string
	errorAfter int
	cutAfter   int
	delayMs    int
	words      int
	tool       string
	tools      int
	stop       string
	guardrail  bool
	hasAny     bool
}

func noDirectives() directives {
	return directives{errorAfter: -1, cutAfter: -1, delayMs: -1, words: -1, tools: -1}
}

const directivePrefix = "[[emulate:"

// parseDirectives extracts directives from text and returns the text with
// them removed (spaces around a directive collapse to one).
func parseDirectives(text string, d *directives) string {
	if !strings.Contains(text, directivePrefix) {
		return text
	}
	var out strings.Builder
	rest := text
	for {
		i := strings.Index(rest, directivePrefix)
		if i < 0 {
			out.WriteString(rest)
			break
		}
		j := strings.Index(rest[i:], "]]")
		if j < 0 {
			out.WriteString(rest)
			break
		}
		out.WriteString(rest[:i])
		applyDirective(rest[i+len(directivePrefix):i+j], d)
		rest = rest[i+j+2:]
	}
	return strings.Join(strings.Fields(out.String()), " ")
}

func applyDirective(s string, d *directives) {
	d.hasAny = true
	name, val, _ := strings.Cut(strings.TrimSpace(s), "=")
	num := func() int {
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil || n < 0 {
			return -1
		}
		return n
	}
	switch name {
	case "throttle":
		d.throttle = true
	case "error":
		d.errorName = strings.TrimSpace(val)
	case "error-after":
		d.errorAfter = num()
	case "cut-after":
		d.cutAfter = num()
	case "delay-ms":
		d.delayMs = num()
	case "words":
		d.words = num()
	case "tool":
		d.tool = strings.TrimSpace(val)
	case "tools":
		d.tools = num()
	case "stop":
		d.stop = strings.TrimSpace(val)
	case "guardrail":
		d.guardrail = true
	}
}
