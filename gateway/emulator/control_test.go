package emulator

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	btypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

func TestListFoundationModels(t *testing.T) {
	c := controlClient(t)
	all, err := c.ListFoundationModels(testCtx(t), &bedrock.ListFoundationModelsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.ModelSummaries) != len(models) {
		t.Fatalf("%d models", len(all.ModelSummaries))
	}
	h := all.ModelSummaries[0]
	if *h.ModelId != haiku || *h.ModelArn != "arn:aws:bedrock:us-east-1::foundation-model/"+haiku || *h.ProviderName != "Anthropic" ||
		!*h.ResponseStreamingSupported || h.ModelLifecycle.Status != btypes.FoundationModelLifecycleStatusActive ||
		len(h.InferenceTypesSupported) != 2 || len(h.InputModalities) != 2 {
		t.Fatalf("%+v", h)
	}
	emb, _ := c.ListFoundationModels(testCtx(t), &bedrock.ListFoundationModelsInput{ByOutputModality: btypes.ModelModalityEmbedding})
	if len(emb.ModelSummaries) != 4 {
		t.Fatalf("embeddings: %d", len(emb.ModelSummaries))
	}
	anth, _ := c.ListFoundationModels(testCtx(t), &bedrock.ListFoundationModelsInput{ByProvider: aws.String("anthropic"),
		ByInferenceType: btypes.InferenceTypeOnDemand})
	if len(anth.ModelSummaries) != 1 || *anth.ModelSummaries[0].ModelId != haiku {
		t.Fatalf("on-demand Anthropic: %d", len(anth.ModelSummaries))
	}
}

func TestListInferenceProfilesPaginates(t *testing.T) {
	c := controlClient(t)
	var ids []string
	pages := 0
	p := bedrock.NewListInferenceProfilesPaginator(c, &bedrock.ListInferenceProfilesInput{TypeEquals: btypes.InferenceProfileTypeSystemDefined})
	for p.HasMorePages() {
		out, err := p.NextPage(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, s := range out.InferenceProfileSummaries {
			ids = append(ids, *s.InferenceProfileId)
			if s.Type != btypes.InferenceProfileTypeSystemDefined || s.CreatedAt == nil || len(s.Models) == 0 {
				t.Fatalf("%+v", s)
			}
		}
	}
	if pages < 2 {
		t.Fatalf("default page must force pagination, got %d page(s)", pages)
	}
	joined := strings.Join(ids, " ")
	for _, want := range []string{"us." + haiku, "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "us.deepseek.r1-v1:0", "us.amazon.nova-pro-v1:0"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("missing %s in %s", want, joined)
		}
	}
	if strings.Contains(joined, "eu.") || strings.Contains(joined, "apac.") {
		t.Fatalf("us-east-1 lists only us. and global. profiles: %s", joined)
	}

	small, _ := c.ListInferenceProfiles(testCtx(t), &bedrock.ListInferenceProfilesInput{MaxResults: aws.Int32(3)})
	if len(small.InferenceProfileSummaries) != 3 || small.NextToken == nil {
		t.Fatal("maxResults not honoured")
	}

	app, err := c.ListInferenceProfiles(testCtx(t), &bedrock.ListInferenceProfilesInput{TypeEquals: btypes.InferenceProfileTypeApplication})
	if err != nil || len(app.InferenceProfileSummaries) != 1 {
		t.Fatal(err)
	}
	a := app.InferenceProfileSummaries[0]
	if *a.InferenceProfileName != "team-chat-haiku" || !strings.HasPrefix(*a.InferenceProfileArn, "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/") ||
		len(*a.InferenceProfileId) != 12 || *a.Models[0].ModelArn != "arn:aws:bedrock:us-east-1::foundation-model/"+haiku {
		t.Fatalf("%+v", a)
	}

	_, err = c.ListInferenceProfiles(testCtx(t), &bedrock.ListInferenceProfilesInput{NextToken: aws.String("garbage")})
	apiErr(t, err, "ValidationException", "pagination token")

	got, err := c.GetInferenceProfile(testCtx(t), &bedrock.GetInferenceProfileInput{InferenceProfileIdentifier: a.InferenceProfileArn})
	if err != nil || *got.InferenceProfileName != "team-chat-haiku" {
		t.Fatal(err)
	}
}

func TestModelIdentifiers(t *testing.T) {
	arn := "arn:aws:bedrock:us-east-1:123456789012:"
	for _, id := range []string{
		haiku,
		"arn:aws:bedrock:us-east-1::foundation-model/" + haiku,
		"us." + haiku,
		arn + "inference-profile/us." + haiku,
		arn + "application-inference-profile/" + appProfileID,
		arn + "inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0",
	} {
		out, err := converse(t, &bedrockruntime.ConverseInput{ModelId: aws.String(id), Messages: []types.Message{userText("hi")}})
		if err != nil || out.StopReason != types.StopReasonEndTurn {
			t.Fatalf("%s: %v", id, err)
		}
		r, err := converseStream(t, &bedrockruntime.ConverseStreamInput{ModelId: aws.String(id), Messages: []types.Message{userText("hi")}})
		if err != nil || !r.sawStop {
			t.Fatalf("stream %s: %v", id, err)
		}
	}
	for _, id := range []string{
		"arn:aws:bedrock:eu-west-1::foundation-model/" + haiku,
		appProfileID, // application profiles are invoked by ARN
		arn + "inference-profile/eu." + haiku,
	} {
		_, err := converse(t, &bedrockruntime.ConverseInput{ModelId: aws.String(id), Messages: []types.Message{userText("hi")}})
		apiErr(t, err, "ValidationException", "The provided model identifier is invalid.")
	}
	// The path segment really is percent-encoded on the wire.
	if u := url.PathEscape(arn + "inference-profile/us.x"); !strings.Contains(u, "%2F") && !strings.Contains(u, "/") {
		t.Fatal(u)
	}
}

func TestRegionAwareCatalogue(t *testing.T) {
	c := newCatalogue("eu-west-1", DefaultAccountID)
	if _, ok, _ := c.resolve("eu." + haiku); !ok {
		t.Fatal("eu profile in eu-west-1")
	}
	if _, ok, _ := c.resolve("us." + haiku); ok {
		t.Fatal("us profile outside the US")
	}
	if _, ok, refused := c.resolve("anthropic.claude-3-7-sonnet-20250219-v1:0"); !ok || !refused {
		t.Fatal("profile-only model refused on demand")
	}
	if _, ok, _ := c.resolve("apac.amazon.nova-lite-v1:0"); ok {
		t.Fatal("no apac Nova profile in eu")
	}
}
