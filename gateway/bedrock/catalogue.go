package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	bedrockctl "github.com/aws/aws-sdk-go-v2/service/bedrock"
	ctltypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/openwebui-bedrock/gateway/openai"
)

// Kind says which API a model serves.
type Kind int

const (
	KindChat Kind = iota
	KindEmbedding
)

// Model is one invocable entry of the catalogue.
type Model struct {
	ID          string // the id clients use
	InvokeID    string // the modelId sent to Bedrock
	Name        string
	Provider    string
	Kind        Kind
	BaseModelID string // the foundation model behind it
	Images      bool   // accepts image input
	Caps        Caps
	// Aliases are further ids that resolve to this model (ARNs) without being listed.
	Aliases []string
}

// ControlAPI is the part of the Bedrock control-plane client the catalogue uses.
type ControlAPI interface {
	ListFoundationModels(context.Context, *bedrockctl.ListFoundationModelsInput, ...func(*bedrockctl.Options)) (*bedrockctl.ListFoundationModelsOutput, error)
	bedrockctl.ListInferenceProfilesAPIClient
}

// CatalogueOptions mirror the reference gateway's switches.
type CatalogueOptions struct {
	CrossRegion bool // list system-defined (cross-region) inference profiles; route profile-only base ids to them
	AppProfiles bool // list application inference profiles
	// Allow, when not empty, restricts what is listed and invocable to models whose id or foundation model id
	// matches one of these globs (MODEL_ALLOWLIST).
	Allow []string
	// Aliases add names: alias → the id of a catalogue model (MODEL_ALIASES).
	Aliases map[string]string
}

// Catalogue is the model list, held in memory and swapped atomically on refresh so that requests never wait on AWS
// (Open WebUI calls /models before every chat).
type Catalogue struct {
	api  ControlAPI
	opts CatalogueOptions
	log  *slog.Logger
	cur  atomic.Pointer[snapshot]
}

type snapshot struct {
	models   []Model
	byID     map[string]*Model
	listJSON []byte // GET /models body, encoded once per refresh
	loadedAt time.Time
}

func NewCatalogue(api ControlAPI, opts CatalogueOptions, log *slog.Logger) *Catalogue {
	return &Catalogue{api: api, opts: opts, log: log}
}

// Loaded reports whether at least one refresh has succeeded.
func (c *Catalogue) Loaded() bool { return c.cur.Load() != nil }

// Len is the number of models listed.
func (c *Catalogue) Len() int {
	if s := c.cur.Load(); s != nil {
		return len(s.models)
	}
	return 0
}

// Lookup finds a model by the id clients use, or by any ARN that names it.
func (c *Catalogue) Lookup(id string) (*Model, bool) {
	s := c.cur.Load()
	if s == nil {
		return nil, false
	}
	m, ok := s.byID[id]
	return m, ok
}

// Resolve finds the model of the given kind for a request: 503 while the catalogue has never loaded (a transient
// state a client should retry), 404 model_not_found, under the name the client asked for, otherwise.
func (c *Catalogue) Resolve(id, asked string, kind Kind) (*Model, *openai.Error) {
	if !c.Loaded() {
		e := openai.Errorf(http.StatusServiceUnavailable, "server_error", "catalogue_unavailable",
			"The model catalogue has not been loaded from Amazon Bedrock yet; retry shortly.")
		e.RetryAfter = 5
		return nil, e
	}
	m, ok := c.Lookup(id)
	if !ok || m.Kind != kind {
		return nil, openai.ModelNotFound(asked)
	}
	return m, nil
}

// ListJSON is the body of GET /models.
func (c *Catalogue) ListJSON() []byte {
	if s := c.cur.Load(); s != nil {
		return s.listJSON
	}
	return []byte(`{"object":"list","data":[]}`)
}

// ModelJSON is the body of GET /models/{id}.
func (c *Catalogue) ModelJSON(id string) ([]byte, bool) {
	m, ok := c.Lookup(id)
	if !ok {
		return nil, false
	}
	om := toOpenAIModel(m, c.cur.Load().loadedAt)
	om.ID = id // an alias or ARN answers under the name it was asked by, as OpenAI's API does
	b, _ := json.Marshal(om)
	return b, true
}

func toOpenAIModel(m *Model, created time.Time) openai.Model {
	return openai.Model{ID: m.ID, Object: "model", Created: created.Unix(), OwnedBy: m.Provider, Name: m.Name}
}

// Run keeps the catalogue fresh until ctx ends: every interval after a success, sooner after a failure. A failed
// refresh keeps serving the previous list.
func (c *Catalogue) Run(ctx context.Context, every time.Duration) {
	retry := min(every, 30*time.Second)
	for {
		wait := every
		if !c.Loaded() {
			wait = retry
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if err := c.Refresh(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("model catalogue refresh failed; serving the previous list", "error", err)
		}
	}
}

// Refresh reloads the catalogue from Bedrock.
func (c *Catalogue) Refresh(ctx context.Context) error {
	fms, err := c.api.ListFoundationModels(ctx, &bedrockctl.ListFoundationModelsInput{})
	if err != nil {
		return fmt.Errorf("ListFoundationModels: %w", err)
	}
	var profiles []ctltypes.InferenceProfileSummary
	for _, t := range c.profileTypes() {
		p := bedrockctl.NewListInferenceProfilesPaginator(c.api, &bedrockctl.ListInferenceProfilesInput{TypeEquals: t})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("ListInferenceProfiles(%s): %w", t, err)
			}
			profiles = append(profiles, page.InferenceProfileSummaries...)
		}
	}
	models := BuildCatalogue(fms.ModelSummaries, profiles, c.opts)
	if len(models) == 0 {
		return errors.New("no usable models listed by Bedrock")
	}
	c.publish(models, time.Now())
	return nil
}

func (c *Catalogue) profileTypes() []ctltypes.InferenceProfileType {
	var ts []ctltypes.InferenceProfileType
	if c.opts.CrossRegion {
		ts = append(ts, ctltypes.InferenceProfileTypeSystemDefined)
	}
	if c.opts.AppProfiles {
		ts = append(ts, ctltypes.InferenceProfileTypeApplication)
	}
	return ts
}

func (c *Catalogue) publish(models []Model, at time.Time) {
	s := &snapshot{models: models, byID: make(map[string]*Model, 2*len(models)), loadedAt: at}
	list := openai.ModelList{Object: "list", Data: make([]openai.Model, 0, len(models))}
	for i := range models {
		m := &models[i]
		list.Data = append(list.Data, toOpenAIModel(m, at))
		for _, id := range append([]string{m.ID, m.InvokeID}, m.Aliases...) {
			if _, taken := s.byID[id]; !taken && id != "" {
				s.byID[id] = m
			}
		}
	}
	s.listJSON, _ = json.Marshal(list)
	c.cur.Store(s)
}

// BuildCatalogue applies the reference gateway's listing rules, so an operator swapping gateways sees the same ids:
//   - foundation models that are ACTIVE or LEGACY and invocable on demand; chat models must stream;
//   - system-defined inference profiles whose model is an ACTIVE/LEGACY text model (this is how profile-only models
//     such as Claude Sonnet 4.5 become usable);
//   - application inference profiles, listed under their readable name (invocable by ARN as well).
//
// Then: with cross-region inference on, the base id of a profile-only model resolves to its profile (the region's
// geography first, global otherwise) instead of failing on demand; the allow-list filters; aliases are added.
func BuildCatalogue(fms []ctltypes.FoundationModelSummary, profiles []ctltypes.InferenceProfileSummary, opts CatalogueOptions) []Model {
	out := listModels(fms, profiles)
	if opts.CrossRegion {
		routeProfileOnly(out, fms)
	}
	if len(opts.Allow) > 0 {
		kept := out[:0]
		for _, m := range out {
			if allowed(opts.Allow, m) {
				kept = append(kept, m)
			}
		}
		out = kept
	}
	return addAliases(out, opts.Aliases)
}

func listModels(fms []ctltypes.FoundationModelSummary, profiles []ctltypes.InferenceProfileSummary) []Model {
	base := make(map[string]ctltypes.FoundationModelSummary, len(fms))
	var out []Model
	for _, fm := range fms {
		id := aws.ToString(fm.ModelId)
		if !usable(fm) {
			continue
		}
		base[id] = fm
		kind, ok := kindOf(fm)
		if !ok || !slices.Contains(fm.InferenceTypesSupported, ctltypes.InferenceTypeOnDemand) {
			continue
		}
		if kind == KindChat && !aws.ToBool(fm.ResponseStreamingSupported) {
			continue
		}
		out = append(out, Model{ID: id, InvokeID: id, Name: aws.ToString(fm.ModelName), Provider: provider(fm),
			Kind: kind, BaseModelID: id, Images: slices.Contains(fm.InputModalities, ctltypes.ModelModalityImage),
			Caps: CapsFor(id), Aliases: nonEmpty(aws.ToString(fm.ModelArn))})
	}
	for _, p := range profiles {
		if p.Status != ctltypes.InferenceProfileStatusActive || len(p.Models) == 0 {
			continue
		}
		baseID := modelIDFromARN(aws.ToString(p.Models[0].ModelArn))
		fm, ok := base[baseID]
		if !ok {
			continue
		}
		if kind, ok := kindOf(fm); !ok || kind != KindChat {
			continue
		}
		m := Model{Name: aws.ToString(p.InferenceProfileName), Provider: provider(fm), Kind: KindChat, BaseModelID: baseID,
			Images: slices.Contains(fm.InputModalities, ctltypes.ModelModalityImage), Caps: CapsFor(baseID)}
		if p.Type == ctltypes.InferenceProfileTypeApplication {
			// Application profiles are only invocable by ARN and known to people by their name.
			m.ID, m.InvokeID = aws.ToString(p.InferenceProfileName), aws.ToString(p.InferenceProfileArn)
		} else {
			m.ID, m.InvokeID = aws.ToString(p.InferenceProfileId), aws.ToString(p.InferenceProfileId)
		}
		// Also reachable by the profile's ARN, which is what some operators configure.
		m.Aliases = nonEmpty(aws.ToString(p.InferenceProfileArn))
		out = append(out, m)
	}
	return out
}

// routeProfileOnly makes the base id (and foundation-model ARN) of each model that is only invocable through an
// inference profile an alias of that profile, preferring the region's geography over global.
func routeProfileOnly(models []Model, fms []ctltypes.FoundationModelSummary) {
	for _, fm := range fms {
		id := aws.ToString(fm.ModelId)
		if slices.Contains(fm.InferenceTypesSupported, ctltypes.InferenceTypeOnDemand) {
			continue
		}
		best := -1
		for i := range models {
			m := &models[i]
			if m.BaseModelID != id || m.InvokeID != m.ID || strings.HasPrefix(m.InvokeID, "arn:") {
				continue // not a system-defined profile of this model
			}
			if best < 0 || strings.HasPrefix(models[best].ID, "global.") {
				best = i
			}
		}
		if best >= 0 {
			models[best].Aliases = append(models[best].Aliases, id)
			if arn := aws.ToString(fm.ModelArn); arn != "" {
				models[best].Aliases = append(models[best].Aliases, arn)
			}
		}
	}
}

func allowed(globs []string, m Model) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, m.ID); ok {
			return true
		}
		if ok, _ := path.Match(g, m.BaseModelID); ok {
			return true
		}
	}
	return false
}

// addAliases appends one listed entry per alias, a copy of its target under the alias's name. Aliases whose target
// is not in the (filtered) catalogue are skipped: an alias must not widen the allow-list.
func addAliases(models []Model, aliases map[string]string) []Model {
	names := make([]string, 0, len(aliases))
	for a := range aliases {
		names = append(names, a)
	}
	slices.Sort(names)
	n := len(models)
	for _, alias := range names {
		target := aliases[alias]
		for i := 0; i < n; i++ {
			if models[i].ID == target || slices.Contains(models[i].Aliases, target) {
				m := models[i]
				m.ID, m.Aliases = alias, nil
				models = append(models, m)
				break
			}
		}
	}
	return models
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func usable(fm ctltypes.FoundationModelSummary) bool {
	if fm.ModelLifecycle == nil {
		return true
	}
	s := fm.ModelLifecycle.Status
	return s == ctltypes.FoundationModelLifecycleStatusActive || s == ctltypes.FoundationModelLifecycleStatusLegacy
}

func kindOf(fm ctltypes.FoundationModelSummary) (Kind, bool) {
	switch {
	case slices.Contains(fm.OutputModalities, ctltypes.ModelModalityText):
		return KindChat, true
	case slices.Contains(fm.OutputModalities, ctltypes.ModelModalityEmbedding):
		return KindEmbedding, true
	}
	return 0, false
}

func provider(fm ctltypes.FoundationModelSummary) string {
	if p := aws.ToString(fm.ProviderName); p != "" {
		return strings.ToLower(p)
	}
	id := aws.ToString(fm.ModelId)
	if i := strings.IndexByte(id, '.'); i > 0 {
		return id[:i]
	}
	return "bedrock"
}

// modelIDFromARN takes "arn:aws:bedrock:REGION::foundation-model/ID" to ID.
func modelIDFromARN(arn string) string {
	if i := strings.LastIndex(arn, "foundation-model/"); i >= 0 {
		return arn[i+len("foundation-model/"):]
	}
	return arn
}
