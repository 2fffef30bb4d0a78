package emulator

import (
	"strings"
)

// reasoningKind says how a model reasons, because the wire shape differs:
// Claude reasons only when asked (additionalModelRequestFields.thinking) and
// signs its reasoning; DeepSeek R1 always reasons and never signs.
type reasoningKind int

const (
	reasoningNone reasoningKind = iota
	reasoningSigned
	reasoningAlwaysUnsigned
)

// embedFamily selects the InvokeModel body dialect of an embedding model.
type embedFamily int

const (
	embedNone embedFamily = iota
	embedTitanV1
	embedTitanV2
	embedCohereV3
)

// model is one row of the capability table. Every behavioural difference
// between models is a field here, so handlers never test model ids by
// substring: adding a model means adding a row.
type model struct {
	ID       string
	Name     string
	Provider string // providerName as ListFoundationModels reports it

	InputModalities []string
	OutputModality  string // TEXT or EMBEDDING

	OnDemand bool     // invocable by its base id / foundation-model ARN
	Profiles []string // geographies with a system-defined profile: us, eu, apac, global

	System           bool // accepts a system prompt
	Tools            bool
	ToolsInStream    bool // false: Converse may use tools, ConverseStream may not (Llama)
	Documents        bool
	Caching          bool // accepts cachePoint blocks
	StructuredOutput bool // accepts outputConfig.textFormat
	Reasoning        reasoningKind
	TempTopPConflict bool // rejects temperature together with topP (Claude Sonnet 4.5)
	ToolPreamble     bool // writes a short text block before tool calls (Claude does)
	ToolResultStatus bool // accepts toolResult.status (only Claude does)

	MaxOutputTokens     int // a larger inferenceConfig.maxTokens is a ValidationException
	DefaultOutputTokens int // used when inferenceConfig.maxTokens is absent

	Embed          embedFamily
	EmbedDims      int // default/only vector length
	ProfileCreated string
}

func (m *model) acceptsImages() bool {
	for _, im := range m.InputModalities {
		if im == "IMAGE" {
			return true
		}
	}
	return false
}

// models is the catalogue. Limits follow the providers' published figures.
var models = []model{
	{
		ID: "anthropic.claude-3-haiku-20240307-v1:0", Name: "Claude 3 Haiku", Provider: "Anthropic",
		InputModalities: []string{"TEXT", "IMAGE"}, OutputModality: "TEXT",
		OnDemand: true, Profiles: []string{"us", "eu", "apac"},
		System: true, Tools: true, ToolsInStream: true, Documents: true, ToolPreamble: true, ToolResultStatus: true,
		MaxOutputTokens: 4096, DefaultOutputTokens: 4096, ProfileCreated: "2024-08-27T00:00:00Z",
	},
	{
		ID: "anthropic.claude-3-7-sonnet-20250219-v1:0", Name: "Claude 3.7 Sonnet", Provider: "Anthropic",
		InputModalities: []string{"TEXT", "IMAGE"}, OutputModality: "TEXT",
		Profiles: []string{"us", "eu"},
		System:   true, Tools: true, ToolsInStream: true, Documents: true, Caching: true, ToolPreamble: true, ToolResultStatus: true,
		Reasoning:       reasoningSigned,
		MaxOutputTokens: 64000, DefaultOutputTokens: 8192, ProfileCreated: "2025-02-24T00:00:00Z",
	},
	{
		ID: "anthropic.claude-sonnet-4-5-20250929-v1:0", Name: "Claude Sonnet 4.5", Provider: "Anthropic",
		InputModalities: []string{"TEXT", "IMAGE"}, OutputModality: "TEXT",
		Profiles: []string{"us", "eu", "global"},
		System:   true, Tools: true, ToolsInStream: true, Documents: true, Caching: true, ToolPreamble: true, ToolResultStatus: true,
		StructuredOutput: true, Reasoning: reasoningSigned, TempTopPConflict: true,
		MaxOutputTokens: 64000, DefaultOutputTokens: 8192, ProfileCreated: "2025-09-29T00:00:00Z",
	},
	{
		ID: "amazon.nova-micro-v1:0", Name: "Nova Micro", Provider: "Amazon",
		InputModalities: []string{"TEXT"}, OutputModality: "TEXT",
		OnDemand: true, Profiles: []string{"us"},
		System: true, Tools: true, ToolsInStream: true, Caching: true,
		MaxOutputTokens: 10000, DefaultOutputTokens: 5000, ProfileCreated: "2024-12-03T00:00:00Z",
	},
	{
		ID: "amazon.nova-lite-v1:0", Name: "Nova Lite", Provider: "Amazon",
		InputModalities: []string{"TEXT", "IMAGE"}, OutputModality: "TEXT",
		OnDemand: true, Profiles: []string{"us"},
		System: true, Tools: true, ToolsInStream: true, Documents: true, Caching: true,
		MaxOutputTokens: 10000, DefaultOutputTokens: 5000, ProfileCreated: "2024-12-03T00:00:00Z",
	},
	{
		ID: "amazon.nova-pro-v1:0", Name: "Nova Pro", Provider: "Amazon",
		InputModalities: []string{"TEXT", "IMAGE"}, OutputModality: "TEXT",
		OnDemand: true, Profiles: []string{"us"},
		System: true, Tools: true, ToolsInStream: true, Documents: true, Caching: true,
		MaxOutputTokens: 10000, DefaultOutputTokens: 5000, ProfileCreated: "2024-12-03T00:00:00Z",
	},
	{
		ID: "meta.llama3-1-8b-instruct-v1:0", Name: "Llama 3.1 8B Instruct", Provider: "Meta",
		InputModalities: []string{"TEXT"}, OutputModality: "TEXT",
		OnDemand: true,
		System:   true, Tools: true, ToolsInStream: false,
		MaxOutputTokens: 2048, DefaultOutputTokens: 512,
	},
	{
		ID: "mistral.mistral-large-2402-v1:0", Name: "Mistral Large (24.02)", Provider: "Mistral AI",
		InputModalities: []string{"TEXT"}, OutputModality: "TEXT",
		OnDemand: true,
		System:   true, Tools: true, ToolsInStream: true, Documents: true,
		MaxOutputTokens: 8192, DefaultOutputTokens: 8192,
	},
	{
		ID: "amazon.titan-text-express-v1", Name: "Titan Text G1 - Express", Provider: "Amazon",
		InputModalities: []string{"TEXT"}, OutputModality: "TEXT",
		OnDemand:        true,
		MaxOutputTokens: 8192, DefaultOutputTokens: 512,
	},
	{
		ID: "deepseek.r1-v1:0", Name: "DeepSeek-R1", Provider: "DeepSeek",
		InputModalities: []string{"TEXT"}, OutputModality: "TEXT",
		Profiles: []string{"us"},
		System:   true, Reasoning: reasoningAlwaysUnsigned,
		MaxOutputTokens: 32768, DefaultOutputTokens: 8192, ProfileCreated: "2025-03-10T00:00:00Z",
	},
	{
		ID: "amazon.titan-embed-text-v1", Name: "Titan Embeddings G1 - Text", Provider: "Amazon",
		InputModalities: []string{"TEXT"}, OutputModality: "EMBEDDING", OnDemand: true,
		Embed: embedTitanV1, EmbedDims: 1536,
	},
	{
		ID: "amazon.titan-embed-text-v2:0", Name: "Titan Text Embeddings V2", Provider: "Amazon",
		InputModalities: []string{"TEXT"}, OutputModality: "EMBEDDING", OnDemand: true,
		Embed: embedTitanV2, EmbedDims: 1024,
	},
	{
		ID: "cohere.embed-english-v3", Name: "Embed English", Provider: "Cohere",
		InputModalities: []string{"TEXT"}, OutputModality: "EMBEDDING", OnDemand: true,
		Embed: embedCohereV3, EmbedDims: 1024,
	},
	{
		ID: "cohere.embed-multilingual-v3", Name: "Embed Multilingual", Provider: "Cohere",
		InputModalities: []string{"TEXT"}, OutputModality: "EMBEDDING", OnDemand: true,
		Embed: embedCohereV3, EmbedDims: 1024,
	},
}

// Application inference profile: one per emulator, wrapping Claude 3 Haiku.
const (
	appProfileName    = "team-chat-haiku"
	appProfileID      = "k7f3q9x2m4pa"
	appProfileModelID = "anthropic.claude-3-haiku-20240307-v1:0"
)

// geographyLabels name the profile prefixes as the console shows them.
var geographyLabels = map[string]string{"us": "US", "eu": "EU", "apac": "APAC", "global": "Global"}

// profile is a row of ListInferenceProfiles.
type profile struct {
	ID, ARN, Name, Description, Type, Created string
	Model                                     *model
	ModelARNs                                 []string
}

// catalogue is the region-resolved view of the model table: what this
// emulator's region lists and accepts.
type catalogue struct {
	region, account string
	geography       string
	models          []*model
	byID            map[string]*model
	profiles        []profile           // system-defined first (table order), then the application profile
	profileByID     map[string]*profile // ids and ARNs of invocable profiles
}

// geographyOf maps a region to the prefix of its cross-region profiles.
func geographyOf(region string) string {
	switch {
	case strings.HasPrefix(region, "us-"):
		return "us"
	case strings.HasPrefix(region, "eu-"):
		return "eu"
	case strings.HasPrefix(region, "ap-"):
		return "apac"
	}
	return ""
}

func newCatalogue(region, account string) *catalogue {
	c := &catalogue{
		region: region, account: account, geography: geographyOf(region),
		byID: map[string]*model{}, profileByID: map[string]*profile{},
	}
	for i := range models {
		m := &models[i]
		c.models = append(c.models, m)
		c.byID[m.ID] = m
	}
	// The regions a geography's profile routes to; only the home region's
	// ARN matters to clients, the others make the summary look real.
	destinations := map[string][]string{
		"us":   {"us-east-1", "us-east-2", "us-west-2"},
		"eu":   {"eu-central-1", "eu-west-1", "eu-west-3"},
		"apac": {"ap-northeast-1", "ap-southeast-1", "ap-southeast-2"},
	}
	for _, m := range c.models {
		for _, g := range m.Profiles {
			if g != "global" && g != c.geography {
				continue
			}
			id := g + "." + m.ID
			p := profile{
				ID:          id,
				ARN:         "arn:aws:bedrock:" + region + ":" + account + ":inference-profile/" + id,
				Name:        geographyLabels[g] + " " + m.Name,
				Description: "Routes requests to " + m.Name + " in " + geographyLabels[g] + " regions.",
				Type:        "SYSTEM_DEFINED", Created: m.ProfileCreated, Model: m,
			}
			regions := destinations[g]
			if g == "global" {
				regions = []string{region}
			}
			for _, r := range regions {
				p.ModelARNs = append(p.ModelARNs, "arn:aws:bedrock:"+r+"::foundation-model/"+m.ID)
			}
			c.profiles = append(c.profiles, p)
		}
	}
	hm := c.byID[appProfileModelID]
	c.profiles = append(c.profiles, profile{
		ID:          appProfileID,
		ARN:         "arn:aws:bedrock:" + region + ":" + account + ":application-inference-profile/" + appProfileID,
		Name:        appProfileName,
		Description: "Application inference profile for the team chat (cost allocation).",
		Type:        "APPLICATION", Created: "2025-01-15T00:00:00Z", Model: hm,
		ModelARNs: []string{"arn:aws:bedrock:" + region + "::foundation-model/" + hm.ID},
	})
	for i := range c.profiles {
		p := &c.profiles[i]
		c.profileByID[p.ARN] = p
		if p.Type == "SYSTEM_DEFINED" {
			// Application profiles are invoked by ARN only; system-defined
			// ones by id or ARN.
			c.profileByID[p.ID] = p
		}
	}
	return c
}

func (c *catalogue) foundationModelARN(m *model) string {
	return "arn:aws:bedrock:" + c.region + "::foundation-model/" + m.ID
}

// resolution is what a model identifier from a request path names.
type resolution struct {
	model   *model
	profile *profile // nil for on-demand invocation
}

// resolve maps a model identifier (base id, foundation-model ARN, profile id
// or ARN, application-profile ARN) to a model. ok=false means Bedrock would
// call the identifier invalid; onDemandRefused means a known model that
// can only be reached through a profile.
func (c *catalogue) resolve(id string) (res resolution, ok, onDemandRefused bool) {
	if p, found := c.profileByID[id]; found {
		return resolution{model: p.Model, profile: p}, true, false
	}
	base := id
	if rest, found := strings.CutPrefix(id, "arn:aws:bedrock:"+c.region+"::foundation-model/"); found {
		base = rest
	} else if strings.HasPrefix(id, "arn:") {
		return resolution{}, false, false
	}
	m, found := c.byID[base]
	if !found {
		return resolution{}, false, false
	}
	if !m.OnDemand {
		return resolution{model: m}, true, true
	}
	return resolution{model: m}, true, false
}
