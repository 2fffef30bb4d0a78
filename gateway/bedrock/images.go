package bedrock

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/openwebui-bedrock/gateway/imagefetch"
	"github.com/openwebui-bedrock/gateway/openai"
)

// imageBlock builds an image block from a data: URL or from an http(s) URL the caller fetched beforehand.
func imageBlock(url string, fetched map[string]Image) (types.ImageBlock, error) {
	if strings.HasPrefix(url, "data:") {
		return dataURLImage(url)
	}
	img, ok := fetched[url]
	if !ok {
		return types.ImageBlock{}, fmt.Errorf("only data: and http(s) image URLs are supported")
	}
	return types.ImageBlock{Format: types.ImageFormat(img.Format), Source: &types.ImageSourceMemberBytes{Value: img.Data}}, nil
}

// dataURLImage decodes a data: URL into an image block. The format comes from the bytes, not the declared media
// type, which clients often get wrong.
func dataURLImage(url string) (types.ImageBlock, error) {
	rest, _ := strings.CutPrefix(url, "data:")
	meta, data, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(meta, ";base64") {
		return types.ImageBlock{}, fmt.Errorf("a data: image URL must be base64-encoded (data:image/png;base64,…)")
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(data); err != nil {
			return types.ImageBlock{}, fmt.Errorf("the image's base64 data is invalid")
		}
	}
	format, ok := imagefetch.Sniff(raw)
	if !ok {
		return types.ImageBlock{}, fmt.Errorf("the image is not PNG, JPEG, GIF or WebP")
	}
	return types.ImageBlock{Format: types.ImageFormat(format), Source: &types.ImageSourceMemberBytes{Value: raw}}, nil
}

// ImageURLs lists the http(s) image URLs in a request, which the caller fetches before translation.
func ImageURLs(req *openai.ChatRequest) []string {
	var urls []string
	for _, m := range req.Messages {
		for _, p := range m.Content.Parts {
			if p.Type == "image_url" && p.ImageURL != nil && (strings.HasPrefix(p.ImageURL.URL, "http://") || strings.HasPrefix(p.ImageURL.URL, "https://")) {
				urls = append(urls, p.ImageURL.URL)
			}
		}
	}
	return urls
}
