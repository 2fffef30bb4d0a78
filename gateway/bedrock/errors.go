package bedrock

import (
	"context"
	"errors"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/openwebui-bedrock/gateway/openai"
)

// errorClass says how a Bedrock error code is presented to OpenAI clients. The SDKs choose their exception and
// whether to retry from the status alone, so the status is what matters most: a request that cannot succeed must
// never be a 5xx (clients would retry it), and throttling must be a 429 with Retry-After.
type errorClass struct {
	status     int
	typ, code  string
	retryAfter int  // seconds
	passMsg    bool // Bedrock's message helps the caller fix the request and reveals nothing about the deployment
}

var errorClasses = map[string]errorClass{
	"ValidationException":           {http.StatusBadRequest, "invalid_request_error", "", 0, true},
	"ServiceQuotaExceededException": {http.StatusTooManyRequests, "rate_limit_error", "rate_limit_exceeded", 10, true},
	"ThrottlingException":           {http.StatusTooManyRequests, "rate_limit_error", "rate_limit_exceeded", 2, true},
	"AccessDeniedException":         {http.StatusForbidden, "permission_error", "model_access_denied", 0, false},
	"ResourceNotFoundException":     {http.StatusNotFound, "invalid_request_error", "model_not_found", 0, true},
	"ModelNotReadyException":        {http.StatusServiceUnavailable, "server_error", "model_not_ready", 5, true},
	"ServiceUnavailableException":   {http.StatusServiceUnavailable, "server_error", "service_unavailable", 5, true},
	"ModelTimeoutException":         {http.StatusGatewayTimeout, "server_error", "upstream_timeout", 0, true},
	"InternalServerException":       {http.StatusBadGateway, "server_error", "upstream_error", 0, true},
	"ModelErrorException":           {http.StatusBadGateway, "server_error", "upstream_error", 0, true},
	"ModelStreamErrorException":     {http.StatusBadGateway, "server_error", "upstream_error", 0, true},
}

// MapError turns an error from a Bedrock call into the OpenAI error the client sees. Cause keeps the original for
// logs.
func MapError(err error) *openai.Error {
	var oe *openai.Error
	if errors.As(err, &oe) {
		return oe
	}
	switch {
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this, but logs and metrics want a status (nginx's 499).
		return (&openai.Error{Status: 499, Type: "client_closed_request", Message: "The client closed the request."}).WithCause(err)
	case errors.Is(err, context.DeadlineExceeded):
		return openai.Errorf(http.StatusGatewayTimeout, "server_error", "upstream_timeout",
			"Amazon Bedrock did not answer in time.").WithCause(err)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		c, ok := errorClasses[code]
		if !ok {
			c = errorClass{http.StatusBadGateway, "server_error", "upstream_error", 0, false}
			var re *awshttp.ResponseError
			if errors.As(err, &re) && re.HTTPStatusCode() >= 400 && re.HTTPStatusCode() < 500 {
				// An unknown 4xx is still the request's fault, not ours; keep it out of the retried range.
				c = errorClass{http.StatusBadRequest, "invalid_request_error", "", 0, true}
			}
		}
		msg := "Amazon Bedrock rejected the call (" + code + ")."
		switch {
		case c.passMsg && ae.ErrorMessage() != "":
			msg = ae.ErrorMessage()
		case code == "AccessDeniedException":
			// AWS's message names the task role and account; keep those in the logs, not in client responses.
			msg = "The gateway is not allowed to invoke this model on Amazon Bedrock. Ask an operator to enable access to it."
		}
		e := openai.Errorf(c.status, c.typ, c.code, "%s", msg).WithCause(err)
		e.RetryAfter = c.retryAfter
		return e
	}
	return openai.Errorf(http.StatusBadGateway, "server_error", "upstream_error",
		"The call to Amazon Bedrock failed.").WithCause(err)
}

// RequestID returns Bedrock's request id carried by an SDK error, for logs.
func RequestID(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.ServiceRequestID()
	}
	return ""
}
