package server

import (
	"net/http"
	"sync"

	"github.com/openwebui-bedrock/gateway/bedrock"
	"github.com/openwebui-bedrock/gateway/openai"
)

// ReferenceEmbeddingModel is the reference gateway's DEFAULT_EMBEDDING_MODEL, used when no embedder was configured.
const ReferenceEmbeddingModel = "cohere.embed-multilingual-v3"

// embedders holds each Server's embedder. It lives here rather than in a Server field only while server.go is being
// edited elsewhere; moving it into the struct changes nothing else.
var embedders sync.Map // *Server → *bedrock.Embedder

// WithEmbedder sets what answers POST /embeddings. Without it, embeddings use the chat service's runtime and
// catalogue with ReferenceEmbeddingModel as the default embedding model.
func (s *Server) WithEmbedder(e *bedrock.Embedder) *Server {
	embedders.Store(s, e)
	return s
}

func (s *Server) embedder() *bedrock.Embedder {
	if e, ok := embedders.Load(s); ok {
		return e.(*bedrock.Embedder)
	}
	e, _ := embedders.LoadOrStore(s, &bedrock.Embedder{Runtime: s.chat.Runtime, Catalogue: s.chat.Catalogue, DefaultModel: ReferenceEmbeddingModel})
	return e.(*bedrock.Embedder)
}

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
	resp, res, err := s.embedder().Embed(r.Context(), &req)
	ci.bedrockRequestID = res.BedrockRequestID
	if res.Model != "" {
		ci.model = res.Model
	}
	if err != nil {
		writeError(w, asAPIError(err))
		return
	}
	ci.inputTokens = resp.Usage.PromptTokens
	writeJSON(w, http.StatusOK, resp)
}
