package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Handler is the whole API surface.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(s.requestID, s.accessLog, s.recoverPanics, s.cors)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, notFoundRoute(r))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, methodNotAllowed(r))
	})

	r.Get("/health", s.handleHealth)
	// Metrics on the API port need the API key; METRICS_ADDR serves them unauthenticated on a separate port for
	// in-VPC scrapers.
	r.With(s.authenticate).Get("/metrics", s.metrics.Handler().ServeHTTP)
	r.Route(s.opts.Prefix+"/", func(r chi.Router) {
		r.Use(s.track, s.authenticate, s.limit)
		r.Get("/models", s.handleListModels)
		r.Get("/models/*", s.handleGetModel) // ids contain ':' and '/' (ARNs)
		r.Post("/chat/completions", s.handleChat)
		r.Post("/embeddings", s.handleEmbeddings)
	})
	return r
}
