package server

import (
	"encoding/json"
	"net/http"

	"github.com/openwebui-bedrock/gateway/openai"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, openai.Errorf(http.StatusInternalServerError, "server_error", "", "The gateway could not encode its response."))
		return
	}
	writeRawJSON(w, status, b)
}

func writeRawJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// writeError sends an OpenAI-shaped error and records its type for the access log.
func writeError(w http.ResponseWriter, e *openai.Error) {
	noteError(w, e)
	e.Header(w.Header())
	b, _ := json.Marshal(openai.ErrorBody{Error: e})
	writeRawJSON(w, e.Status, b)
}

func notFoundRoute(r *http.Request) *openai.Error {
	return openai.NotFound("Unknown route %s %s.", r.Method, r.URL.Path)
}

func methodNotAllowed(r *http.Request) *openai.Error {
	return openai.Errorf(http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed",
		"Method %s is not allowed on %s.", r.Method, r.URL.Path)
}
