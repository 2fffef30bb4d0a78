package emulator

import (
	"net/http"
	"strconv"
)

// apiError is a typed AWS error: the SDK picks the Go type from the
// X-Amzn-Errortype header and the message from the JSON body.
type apiError struct {
	Type    string
	Status  int
	Message string
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

// errorStatus lists the exceptions Bedrock (runtime and control plane)
// returns, with their HTTP status. [[emulate:error=NAME]] accepts any of them.
var errorStatus = map[string]int{
	"ValidationException":                 400,
	"ServiceQuotaExceededException":       400,
	"SerializationException":              400,
	"AccessDeniedException":               403,
	"UnrecognizedClientException":         403,
	"InvalidSignatureException":           403,
	"IncompleteSignatureException":        403,
	"MissingAuthenticationTokenException": 403,
	"ResourceNotFoundException":           404,
	"UnknownOperationException":           404,
	"ModelTimeoutException":               408,
	"ConflictException":                   409,
	"ModelErrorException":                 424,
	"ModelStreamErrorException":           424,
	"ThrottlingException":                 429,
	"ModelNotReadyException":              429,
	"InternalServerException":             500,
	"ServiceUnavailableException":         503,
}

// defaultMessages are the texts real Bedrock uses for errors a directive
// triggers without saying why.
var defaultMessages = map[string]string{
	"ThrottlingException":         "Too many requests, please wait before trying again.",
	"AccessDeniedException":       "You don't have access to the model with the specified model ID.",
	"ResourceNotFoundException":   "Model not found or not available in this region.",
	"ModelNotReadyException":      "Model is not ready for inference. Wait and try your request again.",
	"ModelTimeoutException":       "Model has timed out in processing the request. Try your request again.",
	"ModelErrorException":         "The system encountered an unexpected error during processing. Try your request again.",
	"InternalServerException":     "The system encountered an unexpected error during processing. Try your request again.",
	"ServiceUnavailableException": "Bedrock is unable to process your request.",
	"ServiceQuotaExceededException": "Your request exceeds the service quota for your account. " +
		"You can view your quotas at Viewing service quotas. You can resubmit your request later.",
	"ValidationException": "Emulated validation error.",
	"ConflictException":   "Emulated conflict.",
}

func newError(typ, msg string) *apiError {
	st, ok := errorStatus[typ]
	if !ok {
		st = 400
	}
	if msg == "" {
		msg = defaultMessages[typ]
	}
	return &apiError{Type: typ, Status: st, Message: msg}
}

func validation(msg string) *apiError { return newError("ValidationException", msg) }

// writeError sends a typed error and counts it. Bodies are built by hand:
// this path runs under load in throttling benchmarks.
func (e *Emulator) writeError(w http.ResponseWriter, err *apiError) {
	e.stats.reject(err.Type)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Errortype", err.Type)
	body := make([]byte, 0, len(err.Message)+16)
	body = append(body, `{"message":`...)
	body = appendJSONString(body, err.Message)
	body = append(body, '}')
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(err.Status)
	_, _ = w.Write(body)
}
