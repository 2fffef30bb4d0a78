package openai

import (
	"fmt"
	"net/http"
	"strconv"
)

// Error is an OpenAI-shaped API error together with the HTTP status it is sent with. Handlers return it and the
// server writes it as {"error":{…}} (or as one SSE event once a stream has started).
type Error struct {
	Status     int     `json:"-"`
	Message    string  `json:"message"`
	Type       string  `json:"type"`
	Param      *string `json:"param"`
	Code       *string `json:"code"`
	RetryAfter int     `json:"-"` // seconds; sent as Retry-After when > 0
	// Cause is the underlying error, kept for logs only; it is never sent to the client.
	Cause error `json:"-"`
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %s (%v)", e.Status, e.Type, e.Message, e.Cause)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message)
}

func (e *Error) Unwrap() error { return e.Cause }

// Header sets the response headers that belong to the error (Retry-After).
func (e *Error) Header(h http.Header) {
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
}

// ErrorBody is the JSON envelope OpenAI clients parse.
type ErrorBody struct {
	Error *Error `json:"error"`
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Errorf builds an error of the given status, type and code.
func Errorf(status int, typ, code, format string, args ...any) *Error {
	return &Error{Status: status, Type: typ, Code: ptr(code), Message: fmt.Sprintf(format, args...)}
}

// WithParam names the request field at fault.
func (e *Error) WithParam(p string) *Error { e.Param = ptr(p); return e }

// WithCause records the underlying error for logs.
func (e *Error) WithCause(err error) *Error { e.Cause = err; return e }

// Constructors for the classes clients switch on (the SDKs map by status).
func BadRequest(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "invalid_request_error", "", format, args...)
}

func Unauthorized(msg string) *Error {
	return Errorf(http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "%s", msg)
}

func ModelNotFound(model string) *Error {
	return Errorf(http.StatusNotFound, "invalid_request_error", "model_not_found",
		"The model `%s` does not exist or you do not have access to it.", model).WithParam("model")
}

func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, "invalid_request_error", "not_found", format, args...)
}
