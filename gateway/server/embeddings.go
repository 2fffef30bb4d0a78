package server

import (
	"net/http"

	"github.com/openwebui-bedrock/gateway/bedrock"
	"github.com/openwebui-bedrock/gateway/openai"
)

// WithEmbedder sets what answers POST /embeddings (DEFAULT_EMBEDDING_MODEL lives in it). Without it, embeddings
// use the chat service's runtime and catalogue with the reference gateway's default embedding model.
func (s *Server) WithEmbedder(e *bedrock.Embedder) *Server {
	s.embed = e
	return s
}

// ReferenceEmbeddingModel is the reference gateway's DEFAULT_EMBEDDING_MODEL.
const ReferenceEmbeddingModel = "cohere.embed-multilingual-v3"

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	if s.refuseWhileDraining(w) {
		return
	}
	var req openai.EmbeddingRequest
	if err := s.decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	ci := info(r)
	ci.model = req.Model
	resp, res, err := s.embed.Embed(r.Context(), &req)
	ci.note(res)
	if err != nil {
		writeError(w, asAPIError(err))
		return
	}
	ci.inputTokens = resp.Usage.PromptTokens
	writeJSON(w, http.StatusOK, resp)
}
