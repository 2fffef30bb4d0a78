package bedrock

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctltypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"
)

func fm(id string, out ctltypes.ModelModality, stream bool, status ctltypes.FoundationModelLifecycleStatus, types ...ctltypes.InferenceType) ctltypes.FoundationModelSummary {
	return ctltypes.FoundationModelSummary{ModelId: aws.String(id), ModelArn: aws.String("arn:aws:bedrock:us-east-1::foundation-model/" + id),
		ModelName: aws.String(id), ProviderName: aws.String("Anthropic"), OutputModalities: []ctltypes.ModelModality{out},
		InputModalities: []ctltypes.ModelModality{ctltypes.ModelModalityText}, ResponseStreamingSupported: aws.Bool(stream),
		InferenceTypesSupported: types, ModelLifecycle: &ctltypes.FoundationModelLifecycle{Status: status}}
}

func profile(id, base string, typ ctltypes.InferenceProfileType) ctltypes.InferenceProfileSummary {
	arn := "arn:aws:bedrock:us-east-1:123456789012:inference-profile/" + id
	if typ == ctltypes.InferenceProfileTypeApplication {
		arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/" + id
	}
	return ctltypes.InferenceProfileSummary{InferenceProfileId: aws.String(id), InferenceProfileArn: aws.String(arn),
		InferenceProfileName: aws.String("name-" + id), Type: typ, Status: ctltypes.InferenceProfileStatusActive,
		Models: []ctltypes.InferenceProfileModel{{ModelArn: aws.String("arn:aws:bedrock:us-east-1::foundation-model/" + base)}}}
}

func TestBuildCatalogueRules(t *testing.T) {
	od, ip := ctltypes.InferenceTypeOnDemand, ctltypes.InferenceType("INFERENCE_PROFILE")
	active, legacy := ctltypes.FoundationModelLifecycleStatusActive, ctltypes.FoundationModelLifecycleStatusLegacy
	fms := []ctltypes.FoundationModelSummary{
		fm("anthropic.on-demand", ctltypes.ModelModalityText, true, active, od, ip),
		fm("anthropic.legacy", ctltypes.ModelModalityText, true, legacy, od),
		fm("anthropic.no-stream", ctltypes.ModelModalityText, false, active, od),
		fm("anthropic.profile-only", ctltypes.ModelModalityText, true, active, ip),
		fm("anthropic.retired", ctltypes.ModelModalityText, true, ctltypes.FoundationModelLifecycleStatus("EOL"), od),
		fm("cohere.embed", ctltypes.ModelModalityEmbedding, false, active, od),
		fm("stability.image", ctltypes.ModelModalityImage, false, active, od),
	}
	profiles := []ctltypes.InferenceProfileSummary{
		profile("global.anthropic.profile-only", "anthropic.profile-only", ctltypes.InferenceProfileTypeSystemDefined),
		profile("us.anthropic.profile-only", "anthropic.profile-only", ctltypes.InferenceProfileTypeSystemDefined),
		profile("us.anthropic.on-demand", "anthropic.on-demand", ctltypes.InferenceProfileTypeSystemDefined),
		profile("us.anthropic.retired", "anthropic.retired", ctltypes.InferenceProfileTypeSystemDefined),
		profile("k7f3", "anthropic.on-demand", ctltypes.InferenceProfileTypeApplication),
	}
	ids := func(ms []Model) string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return strings.Join(out, " ")
	}
	lookup := func(ms []Model, id string) *Model {
		c := &Catalogue{}
		c.publish(ms, time.Now())
		m, _ := c.Lookup(id)
		return m
	}

	all := BuildCatalogue(fms, profiles, CatalogueOptions{CrossRegion: true, AppProfiles: true})
	want := "anthropic.on-demand anthropic.legacy cohere.embed global.anthropic.profile-only us.anthropic.profile-only us.anthropic.on-demand name-k7f3"
	if got := ids(all); got != want {
		t.Fatalf("listed\n got %s\nwant %s", got, want)
	}
	if m := lookup(all, "anthropic.profile-only"); m == nil || m.InvokeID != "us.anthropic.profile-only" {
		t.Errorf("a profile-only base id must route to the region's profile, not global: %+v", m)
	}
	if m := lookup(all, "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/k7f3"); m == nil || m.ID != "name-k7f3" ||
		!strings.HasPrefix(m.InvokeID, "arn:") {
		t.Errorf("application profile by ARN: %+v", m)
	}
	if m := lookup(all, "arn:aws:bedrock:us-east-1::foundation-model/anthropic.on-demand"); m == nil || m.ID != "anthropic.on-demand" {
		t.Errorf("foundation model by ARN: %+v", m)
	}

	noProfiles := BuildCatalogue(fms, nil, CatalogueOptions{})
	if m := lookup(noProfiles, "anthropic.profile-only"); m != nil {
		t.Errorf("without cross-region inference a profile-only model is not invocable: %+v", m)
	}

	allowed := BuildCatalogue(fms, profiles, CatalogueOptions{CrossRegion: true, AppProfiles: true,
		Allow:   []string{"anthropic.profile-*"},
		Aliases: map[string]string{"smart": "anthropic.profile-only", "cheap": "anthropic.on-demand"}})
	if got := ids(allowed); got != "global.anthropic.profile-only us.anthropic.profile-only smart" {
		t.Fatalf("allow-list by foundation model, alias added, alias to a filtered model dropped: %s", got)
	}
	if i := slices.IndexFunc(allowed, func(m Model) bool { return m.ID == "smart" }); allowed[i].InvokeID != "us.anthropic.profile-only" {
		t.Errorf("alias target: %+v", allowed[i])
	}
}
