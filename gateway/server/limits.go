package server

import (
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openwebui-bedrock/gateway/openai"
)

// keyLimiter holds one API key's optional limits: a cap on concurrent requests and a token bucket of requests per
// minute. Both answer 429 with Retry-After, which the OpenAI SDKs honour.
type keyLimiter struct {
	maxConcurrent int64
	active        atomic.Int64

	perMinute float64
	mu        sync.Mutex
	tokens    float64
	last      time.Time
}

func newKeyLimiter(maxConcurrent, perMinute int) *keyLimiter {
	return &keyLimiter{maxConcurrent: int64(maxConcurrent), perMinute: float64(perMinute), tokens: float64(perMinute)}
}

// take reserves one request; release must be called when it ends. When refused, it says how many seconds to wait.
func (l *keyLimiter) take(now time.Time) (ok bool, retryAfter int, release func()) {
	if l.perMinute > 0 {
		l.mu.Lock()
		if !l.last.IsZero() {
			l.tokens = math.Min(l.perMinute, l.tokens+now.Sub(l.last).Minutes()*l.perMinute)
		}
		l.last = now
		if l.tokens < 1 {
			wait := int(math.Ceil((1 - l.tokens) / l.perMinute * 60))
			l.mu.Unlock()
			return false, max(wait, 1), nil
		}
		l.tokens--
		l.mu.Unlock()
	}
	if l.maxConcurrent > 0 {
		if l.active.Add(1) > l.maxConcurrent {
			l.active.Add(-1)
			return false, 1, nil
		}
		return true, 0, func() { l.active.Add(-1) }
	}
	return true, 0, func() {}
}

// limit applies the authenticated key's limits.
func (s *Server) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		idx, ok := r.Context().Value(keyIndexKey{}).(int)
		if !ok || idx >= len(s.limits) {
			next.ServeHTTP(w, r)
			return
		}
		allowed, retry, release := s.limits[idx].take(time.Now())
		if !allowed {
			e := openai.Errorf(http.StatusTooManyRequests, "rate_limit_error", "rate_limit_exceeded",
				"This API key is over its request limit on this gateway; retry after %d s.", retry)
			e.RetryAfter = retry
			writeError(w, e)
			return
		}
		defer release()
		next.ServeHTTP(w, r)
	})
}

type keyIndexKey struct{}
