// Package tokenizer decodes OpenAI cl100k_base token ids back to text, offline.
//
// Clients built for OpenAI's embeddings endpoint (LangChain's OpenAIEmbeddings above all) often send their input
// pre-tokenized as arrays of cl100k_base token ids instead of strings. Bedrock's embedding models only take text, so
// the gateway turns the ids back into the text they stand for. The rank file ships inside the binary (go:embed):
// the gateway has no network access to fetch it at run time, and must not depend on it.
//
// Only decoding is implemented: id → bytes is a table lookup, while encoding would need tiktoken's pre-tokenizer
// regex (with look-ahead, which Go's regexp lacks) and the BPE merge loop, and the gateway has no use for it.
package tokenizer

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"
)

// cl100kRanks is tiktoken's cl100k_base.tiktoken: one "<base64 token bytes> <rank>" line per token, the rank being
// the token id. See LICENSE in this directory for its origin and notices.
//
//go:embed cl100k_base.tiktoken
var cl100kRanks []byte

// cl100kSpecial are cl100k_base's special tokens (tiktoken's openai_public.py). They are not in the rank file;
// tiktoken's decode turns them into their literal text, and so does this one.
var cl100kSpecial = map[int]string{
	100257: "<|endoftext|>",
	100258: "<|fim_prefix|>",
	100259: "<|fim_middle|>",
	100260: "<|fim_suffix|>",
	100276: "<|endofprompt|>",
}

// Vocabulary maps token ids to the bytes they stand for.
type Vocabulary struct {
	src     []byte
	special map[int]string

	once sync.Once
	// The decode table is one byte blob and an offset per id (token id's bytes are blob[offs[id]:offs[id+1]]):
	// about 1.1 MB for cl100k_base, against several MB for a [][]byte or a map, and no pointers for the GC to scan.
	blob    []byte
	offs    []uint32
	loadErr error
}

var cl100k = &Vocabulary{src: cl100kRanks, special: cl100kSpecial}

// CL100K is the cl100k_base vocabulary (GPT-3.5/GPT-4 and text-embedding-3-*/ada-002). Its decode table is built on
// first use (a few milliseconds), so gateways that never see token-array input pay nothing at start-up.
func CL100K() *Vocabulary { return cl100k }

// UnknownTokenError reports a token id that is not in the vocabulary.
type UnknownTokenError struct {
	Index int // position of the id in the input
	ID    int
}

func (e *UnknownTokenError) Error() string {
	return fmt.Sprintf("token id %d at position %d is not in the cl100k_base vocabulary", e.ID, e.Index)
}

func (v *Vocabulary) load() error {
	v.once.Do(func() { v.loadErr = v.build() })
	return v.loadErr
}

// build parses the rank file. Ranks are expected to be dense from 0; a missing rank becomes an empty entry, which
// Decode reports as unknown.
func (v *Vocabulary) build() error {
	type entry struct{ rank, start, end int }
	entries := make([]entry, 0, bytes.Count(v.src, []byte{'\n'})+1)
	// Every token's bytes are decoded into one arena, then laid out in rank order.
	arena := make([]byte, 0, base64.StdEncoding.DecodedLen(len(v.src)))
	maxRank := -1
	n := 0
	for line := range bytes.Lines(v.src) {
		n++
		line = bytes.TrimSuffix(line, []byte{'\n'})
		if len(line) == 0 {
			continue
		}
		sp := bytes.IndexByte(line, ' ')
		if sp < 0 {
			return fmt.Errorf("tokenizer: rank file line %d has no rank", n)
		}
		rank, err := strconv.Atoi(string(line[sp+1:]))
		if err != nil || rank < 0 || rank > 1<<24 {
			return fmt.Errorf("tokenizer: rank file line %d: bad rank %q", n, line[sp+1:])
		}
		start := len(arena)
		arena, err = base64.StdEncoding.AppendDecode(arena, line[:sp])
		if err != nil || len(arena) == start {
			return fmt.Errorf("tokenizer: rank file line %d: bad token bytes", n)
		}
		entries = append(entries, entry{rank, start, len(arena)})
		maxRank = max(maxRank, rank)
	}
	byRank := make([]entry, maxRank+1)
	for _, e := range entries {
		byRank[e.rank] = e
	}
	v.blob = make([]byte, 0, len(arena))
	v.offs = make([]uint32, len(byRank)+1)
	for id, e := range byRank {
		v.blob = append(v.blob, arena[e.start:e.end]...)
		v.offs[id+1] = uint32(len(v.blob))
	}
	return nil
}

// Size is the number of ordinary (non-special) token ids.
func (v *Vocabulary) Size() int {
	if v.load() != nil {
		return 0
	}
	return len(v.offs) - 1
}

// DecodeBytes concatenates the bytes of the tokens. A token may hold part of a multi-byte UTF-8 character, so the
// result is only valid UTF-8 for whole sequences.
func (v *Vocabulary) DecodeBytes(ids []int) ([]byte, error) {
	if err := v.load(); err != nil {
		return nil, err
	}
	out := make([]byte, 0, 4*len(ids))
	for i, id := range ids {
		if id >= 0 && id < len(v.offs)-1 && v.offs[id] < v.offs[id+1] {
			out = append(out, v.blob[v.offs[id]:v.offs[id+1]]...)
			continue
		}
		if s, ok := v.special[id]; ok {
			out = append(out, s...)
			continue
		}
		return nil, &UnknownTokenError{Index: i, ID: id}
	}
	return out, nil
}

// Decode is the text the tokens stand for. Invalid UTF-8 (ids cut in the middle of a character) becomes U+FFFD, as
// in tiktoken's decode (errors="replace"; here one U+FFFD per invalid run of bytes).
func (v *Vocabulary) Decode(ids []int) (string, error) {
	b, err := v.DecodeBytes(ids)
	if err != nil {
		return "", err
	}
	if utf8.Valid(b) {
		return string(b), nil
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD"))), nil
}
