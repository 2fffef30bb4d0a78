package tokenizer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
)

// The hash tiktoken itself checks when it downloads cl100k_base.tiktoken (openai_public.py): the embedded file is
// OpenAI's, byte for byte.
const cl100kSHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"

func TestEmbeddedFileIsOpenAIs(t *testing.T) {
	sum := sha256.Sum256(cl100kRanks)
	if got := hex.EncodeToString(sum[:]); got != cl100kSHA256 {
		t.Fatalf("cl100k_base.tiktoken sha256 %s, want %s", got, cl100kSHA256)
	}
}

func TestSize(t *testing.T) {
	if n := CL100K().Size(); n != 100256 {
		t.Fatalf("Size %d, want 100256", n)
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		ids  []int
		want string
	}{
		// tiktoken: enc.encode("hello world") == [15339, 1917]; "Hello" is 9906.
		{"words", []int{15339, 1917}, "hello world"},
		{"capital", []int{9906, 1917}, "Hello world"},
		{"first rank", []int{0}, "!"},
		{"multi-byte in one token", []int{30203, 978}, " café"},
		{"multi-byte across tokens", []int{69896, 127, 102}, "café"},
		{"special tokens as text", []int{15339, 100257, 100276}, "hello<|endoftext|><|endofprompt|>"},
		{"fim", []int{100258, 100259, 100260}, "<|fim_prefix|><|fim_middle|><|fim_suffix|>"},
		{"cut character", []int{69896, 127}, "caf\uFFFD"},
		{"empty", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CL100K().Decode(tc.ids)
			if err != nil || got != tc.want {
				t.Fatalf("Decode(%v) = %q, %v; want %q", tc.ids, got, err, tc.want)
			}
		})
	}
}

func TestDecodeBytesKeepsPartialCharacters(t *testing.T) {
	b, err := CL100K().DecodeBytes([]int{127})
	if err != nil || string(b) != "\xc3" {
		t.Fatalf("%q %v", b, err)
	}
}

func TestUnknownIDs(t *testing.T) {
	// 100256 and 100261–100275 are holes between the ranks and the special tokens; 100277 is past the end.
	for _, id := range []int{-1, 100256, 100261, 100275, 100277, 1 << 40} {
		_, err := CL100K().Decode([]int{15339, id})
		var ue *UnknownTokenError
		if !errors.As(err, &ue) || ue.ID != id || ue.Index != 1 {
			t.Errorf("id %d: err %v, want UnknownTokenError at index 1", id, err)
		}
	}
}

func TestTableIsBuiltLazily(t *testing.T) {
	v := &Vocabulary{src: cl100kRanks, special: cl100kSpecial}
	if v.offs != nil {
		t.Fatal("decode table built before first use")
	}
	if _, err := v.Decode([]int{1}); err != nil || v.offs == nil {
		t.Fatalf("first use: %v", err)
	}
}

func TestBadRankFiles(t *testing.T) {
	for _, src := range []string{"IQ==\n", "IQ== x\n", "!!! 0\n", "IQ== -1\n"} {
		v := &Vocabulary{src: []byte(src)}
		if _, err := v.Decode([]int{0}); err == nil {
			t.Errorf("rank file %q accepted", src)
		}
	}
	// A gap in the ranks is an unknown id, not the empty string.
	v := &Vocabulary{src: []byte("IQ== 0\nIw== 2\n")}
	if s, err := v.Decode([]int{0, 2}); err != nil || s != "!#" {
		t.Fatalf("%q %v", s, err)
	}
	if _, err := v.Decode([]int{1}); err == nil {
		t.Fatal("gap decoded")
	}
}

func TestConcurrentFirstUse(t *testing.T) {
	v := &Vocabulary{src: cl100kRanks, special: cl100kSpecial}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if s, err := v.Decode([]int{15339, 1917}); err != nil || s != "hello world" {
				t.Errorf("%q %v", s, err)
			}
		})
	}
	wg.Wait()
}

func BenchmarkBuild(b *testing.B) {
	for b.Loop() {
		v := &Vocabulary{src: cl100kRanks}
		if err := v.load(); err != nil {
			b.Fatal(err)
		}
	}
}
