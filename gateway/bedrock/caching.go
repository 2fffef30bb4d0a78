package bedrock

import (
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/openai"
)

// maxCachePoints is Bedrock's limit per request.
const maxCachePoints = 4

// applyCaching adds prompt-cache points after the system prompt and at the end of the last user turn, when caching
// is on for this request (prompt_caching, else ENABLE_PROMPT_CACHING) and the model caches. Models without prompt
// caching are served without it: caching only changes cost and latency, never the answer.
func applyCaching(in *bedrockruntime.ConverseInput, m *Model, req *openai.PromptCaching, def bool) {
	if !m.Caps.Caching {
		return
	}
	on := openai.PromptCaching{System: def, Messages: def}
	if req != nil {
		on = *req
	}
	used := countCachePoints(in)
	if on.System && len(in.System) > 0 && used < maxCachePoints {
		if _, already := in.System[len(in.System)-1].(*types.SystemContentBlockMemberCachePoint); !already {
			in.System = append(in.System, &types.SystemContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}})
			used++
		}
	}
	if on.Messages && used < maxCachePoints {
		for i := len(in.Messages) - 1; i >= 0; i-- {
			t := &in.Messages[i]
			if t.Role != types.ConversationRoleUser {
				continue
			}
			if _, already := t.Content[len(t.Content)-1].(*types.ContentBlockMemberCachePoint); !already {
				t.Content = append(t.Content, cachePoint())
			}
			break
		}
	}
}

func countCachePoints(in *bedrockruntime.ConverseInput) int {
	n := 0
	for _, s := range in.System {
		if _, ok := s.(*types.SystemContentBlockMemberCachePoint); ok {
			n++
		}
	}
	for _, t := range in.Messages {
		for _, b := range t.Content {
			if _, ok := b.(*types.ContentBlockMemberCachePoint); ok {
				n++
			}
		}
	}
	return n
}
