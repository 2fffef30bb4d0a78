package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// Decode reads one JSON request body into v and turns every way it can fail into a 4xx *Error.
func Decode(r io.Reader, v any) *Error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	// Anything after the object (other than whitespace) is a malformed body, not something to ignore.
	if _, err := dec.Token(); err != io.EOF {
		return BadRequest("We could not parse the JSON body of your request: unexpected data after the JSON object.")
	}
	return nil
}

func decodeError(err error) *Error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return Errorf(http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large",
			"The request body is larger than the %d bytes this gateway accepts.", tooBig.Limit)
	case errors.Is(err, io.EOF):
		return BadRequest("The request body is empty; expected a JSON object.")
	case errors.As(err, &syntax):
		return BadRequest("We could not parse the JSON body of your request (at byte %d): %s.", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return BadRequest("The request body must be a JSON object.")
		}
		return BadRequest("Invalid type for '%s': expected %s but got %s.", field, jsonType(typ.Type.Kind().String()), typ.Value).WithParam(field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("The JSON body of your request is truncated.")
	}
	var ne net.Error
	if errors.As(err, &ne) {
		// Reading the body failed (a timeout or a dropped connection), which says nothing about its content.
		return BadRequest("The request body could not be read.").WithCause(err)
	}
	// Errors from our own UnmarshalJSON methods carry a readable message.
	return BadRequest("Invalid request: %s.", strings.TrimSuffix(err.Error(), "."))
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	case "float32", "float64":
		return "a number"
	}
	if strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") {
		return "an integer"
	}
	return kind
}

var roles = map[string]bool{"system": true, "developer": true, "user": true, "assistant": true, "tool": true}

// Validate checks what OpenAI itself would reject, so clients get a 400 with the offending field before any
// upstream call.
func (r *ChatRequest) Validate() *Error {
	if r.Model == "" {
		return BadRequest("you must provide a model parameter").WithParam("model")
	}
	if len(r.Messages) == 0 {
		return BadRequest("'messages' must contain at least one message.").WithParam("messages")
	}
	for i, m := range r.Messages {
		param := fmt.Sprintf("messages[%d]", i)
		if !roles[m.Role] {
			return BadRequest("Invalid value for '%s.role': %q. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", param, m.Role).WithParam(param + ".role")
		}
		if m.Role == "tool" && m.ToolCallID == "" {
			return BadRequest("Missing parameter '%s.tool_call_id': messages with role 'tool' must answer a tool call.", param).WithParam(param + ".tool_call_id")
		}
		for j, p := range m.Content.Parts {
			switch p.Type {
			case "text":
			case "image_url":
				if m.Role != "user" {
					return BadRequest("Image content is only allowed in user messages (%s.content[%d]).", param, j).WithParam(fmt.Sprintf("%s.content[%d]", param, j))
				}
				if p.ImageURL == nil || p.ImageURL.URL == "" {
					return BadRequest("Missing '%s.content[%d].image_url.url'.", param, j).WithParam(fmt.Sprintf("%s.content[%d].image_url", param, j))
				}
			default:
				return BadRequest("Content part type %q in %s.content[%d] is not supported; use 'text' or 'image_url'.", p.Type, param, j).WithParam(fmt.Sprintf("%s.content[%d].type", param, j))
			}
		}
		for j, tc := range m.ToolCalls {
			if tc.ID == "" || tc.Function.Name == "" {
				return BadRequest("%s.tool_calls[%d] needs an 'id' and a 'function.name'.", param, j).WithParam(fmt.Sprintf("%s.tool_calls[%d]", param, j))
			}
		}
	}
	if t := r.Temperature; t != nil && (*t < 0 || *t > 2) {
		return BadRequest("Invalid 'temperature': %g is outside [0, 2].", *t).WithParam("temperature")
	}
	if p := r.TopP; p != nil && (*p < 0 || *p > 1) {
		return BadRequest("Invalid 'top_p': %g is outside [0, 1].", *p).WithParam("top_p")
	}
	if m := r.MaxTokens; m != nil && *m < 1 {
		return BadRequest("Invalid 'max_tokens': %d; it must be at least 1.", *m).WithParam("max_tokens")
	}
	if m := r.MaxCompletionTokens; m != nil && *m < 1 {
		return BadRequest("Invalid 'max_completion_tokens': %d; it must be at least 1.", *m).WithParam("max_completion_tokens")
	}
	if r.N != nil && *r.N != 1 {
		// Bedrock returns one candidate per call; answering with one choice when n were asked would silently lose data.
		return BadRequest("Invalid 'n': %d. This gateway returns exactly one choice per request (n=1).", *r.N).WithParam("n")
	}
	for i, t := range r.Tools {
		if t.Type != "function" {
			return BadRequest("Invalid 'tools[%d].type': %q; only 'function' tools are supported.", i, t.Type).WithParam(fmt.Sprintf("tools[%d].type", i))
		}
		if t.Function.Name == "" {
			return BadRequest("Missing 'tools[%d].function.name'.", i).WithParam(fmt.Sprintf("tools[%d].function.name", i))
		}
	}
	if rf := r.ResponseFormat; rf != nil {
		switch rf.Type {
		case "text", "json_object":
		case "json_schema":
			if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 {
				return BadRequest("response_format json_schema needs 'json_schema.schema'.").WithParam("response_format.json_schema")
			}
		default:
			return BadRequest("Invalid 'response_format.type': %q; use 'text', 'json_object' or 'json_schema'.", rf.Type).WithParam("response_format.type")
		}
	}
	switch r.ReasoningEffort {
	case "", "none", "minimal", "low", "medium", "high":
	default:
		return BadRequest("Invalid 'reasoning_effort': %q; use 'none', 'minimal', 'low', 'medium' or 'high'.", r.ReasoningEffort).WithParam("reasoning_effort")
	}
	return nil
}

// MaxOutputTokens is max_completion_tokens, falling back to the deprecated max_tokens; nil when neither is set.
func (r *ChatRequest) MaxOutputTokens() *int {
	if r.MaxCompletionTokens != nil {
		return r.MaxCompletionTokens
	}
	return r.MaxTokens
}

// IncludeUsage reports whether the stream must end with a usage chunk.
func (r *ChatRequest) IncludeUsage() bool {
	return r.StreamOptions != nil && r.StreamOptions.IncludeUsage
}
