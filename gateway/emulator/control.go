package emulator

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Control plane: ListFoundationModels, GetFoundationModel,
// ListInferenceProfiles, GetInferenceProfile.

type modelSummary struct {
	ModelArn                   string         `json:"modelArn"`
	ModelID                    string         `json:"modelId"`
	ModelName                  string         `json:"modelName"`
	ProviderName               string         `json:"providerName"`
	InputModalities            []string       `json:"inputModalities"`
	OutputModalities           []string       `json:"outputModalities"`
	ResponseStreamingSupported bool           `json:"responseStreamingSupported"`
	CustomizationsSupported    []string       `json:"customizationsSupported"`
	InferenceTypesSupported    []string       `json:"inferenceTypesSupported"`
	ModelLifecycle             map[string]any `json:"modelLifecycle"`
}

func (e *Emulator) summary(m *model) modelSummary {
	types := []string{}
	if m.OnDemand {
		types = append(types, "ON_DEMAND")
	}
	if len(m.Profiles) > 0 || m.ID == appProfileModelID {
		types = append(types, "INFERENCE_PROFILE")
	}
	return modelSummary{
		ModelArn: e.cat.foundationModelARN(m), ModelID: m.ID, ModelName: m.Name, ProviderName: m.Provider,
		InputModalities: m.InputModalities, OutputModalities: []string{m.OutputModality},
		ResponseStreamingSupported: m.OutputModality == "TEXT",
		CustomizationsSupported:    []string{}, InferenceTypesSupported: types,
		ModelLifecycle: map[string]any{"status": "ACTIVE"},
	}
}

var validModalities = map[string]bool{"TEXT": true, "IMAGE": true, "EMBEDDING": true}
var validInferenceTypes = map[string]bool{"ON_DEMAND": true, "PROVISIONED": true}
var validCustomizations = map[string]bool{"FINE_TUNING": true, "CONTINUED_PRE_TRAINING": true, "DISTILLATION": true}

func (e *Emulator) handleListFoundationModels(w http.ResponseWriter, r *http.Request, _ []byte, _ time.Time) {
	q := r.URL.Query()
	provider := q.Get("byProvider")
	modality := q.Get("byOutputModality")
	inference := q.Get("byInferenceType")
	custom := q.Get("byCustomizationType")
	if modality != "" && !validModalities[modality] {
		e.writeError(w, constraint(modality, "byOutputModality", "Member must satisfy enum value set: [TEXT, IMAGE, EMBEDDING]"))
		return
	}
	if inference != "" && !validInferenceTypes[inference] {
		e.writeError(w, constraint(inference, "byInferenceType", "Member must satisfy enum value set: [ON_DEMAND, PROVISIONED]"))
		return
	}
	if custom != "" && !validCustomizations[custom] {
		e.writeError(w, constraint(custom, "byCustomizationType", "Member must satisfy enum value set: [FINE_TUNING, CONTINUED_PRE_TRAINING, DISTILLATION]"))
		return
	}
	out := []modelSummary{}
	for _, m := range e.cat.models {
		s := e.summary(m)
		if provider != "" && !strings.EqualFold(provider, m.Provider) &&
			!strings.EqualFold(provider, strings.SplitN(m.ID, ".", 2)[0]) {
			continue
		}
		if modality != "" && m.OutputModality != modality {
			continue
		}
		if inference != "" && !contains(s.InferenceTypesSupported, inference) {
			continue
		}
		if custom != "" { // no model in the catalogue can be customized
			continue
		}
		out = append(out, s)
	}
	writeJSON(w, mustJSON(map[string]any{"modelSummaries": out}))
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (e *Emulator) handleGetFoundationModel(w http.ResponseWriter, r *http.Request, _ []byte, _ time.Time) {
	id := r.PathValue("modelIdentifier")
	id = strings.TrimPrefix(id, "arn:aws:bedrock:"+e.region+"::foundation-model/")
	m, ok := e.cat.byID[id]
	if !ok {
		e.writeError(w, newError("ValidationException", "The provided model identifier is invalid."))
		return
	}
	writeJSON(w, mustJSON(map[string]any{"modelDetails": e.summary(m)}))
}

type profileSummary struct {
	InferenceProfileName string              `json:"inferenceProfileName"`
	InferenceProfileArn  string              `json:"inferenceProfileArn"`
	InferenceProfileID   string              `json:"inferenceProfileId"`
	Description          string              `json:"description"`
	Models               []map[string]string `json:"models"`
	Status               string              `json:"status"`
	Type                 string              `json:"type"`
	CreatedAt            string              `json:"createdAt"`
	UpdatedAt            string              `json:"updatedAt"`
}

func profileJSON(p *profile) profileSummary {
	s := profileSummary{
		InferenceProfileName: p.Name, InferenceProfileArn: p.ARN, InferenceProfileID: p.ID,
		Description: p.Description, Status: "ACTIVE", Type: p.Type, CreatedAt: p.Created, UpdatedAt: p.Created,
	}
	for _, a := range p.ModelARNs {
		s.Models = append(s.Models, map[string]string{"modelArn": a})
	}
	return s
}

// defaultProfilePage is smaller than Bedrock's so clients must paginate.
const defaultProfilePage = 5

func (e *Emulator) handleListInferenceProfiles(w http.ResponseWriter, r *http.Request, _ []byte, _ time.Time) {
	q := r.URL.Query()
	typ := q.Get("type")
	if typ == "" {
		typ = "SYSTEM_DEFINED" // what Bedrock lists when no type is given
	}
	if typ != "SYSTEM_DEFINED" && typ != "APPLICATION" {
		e.writeError(w, constraint(typ, "typeEquals", "Member must satisfy enum value set: [SYSTEM_DEFINED, APPLICATION]"))
		return
	}
	size := defaultProfilePage
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			e.writeError(w, constraint(v, "maxResults", "Member must have value between 1 and 1000"))
			return
		}
		size = n
	}
	var all []*profile
	for i := range e.cat.profiles {
		if p := &e.cat.profiles[i]; p.Type == typ {
			all = append(all, p)
		}
	}
	offset := 0
	if tok := q.Get("nextToken"); tok != "" {
		n, ok := decodePageToken(tok, typ)
		if !ok || n > len(all) {
			e.writeError(w, validation("The pagination token is invalid."))
			return
		}
		offset = n
	}
	end := min(offset+size, len(all))
	page := []profileSummary{}
	for _, p := range all[offset:end] {
		page = append(page, profileJSON(p))
	}
	resp := map[string]any{"inferenceProfileSummaries": page}
	if end < len(all) {
		resp["nextToken"] = encodePageToken(end, typ)
	}
	writeJSON(w, mustJSON(resp))
}

// Page tokens are opaque to clients; they carry the offset and the filter
// they belong to so a token cannot be replayed against another listing.
func encodePageToken(offset int, typ string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1|" + typ + "|" + strconv.Itoa(offset)))
}

func decodePageToken(tok, typ string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] != "v1" || parts[1] != typ {
		return 0, false
	}
	n, err := strconv.Atoi(parts[2])
	return n, err == nil && n >= 0
}

func (e *Emulator) handleGetInferenceProfile(w http.ResponseWriter, r *http.Request, _ []byte, _ time.Time) {
	id := r.PathValue("inferenceProfileIdentifier")
	p, ok := e.cat.profileByID[id]
	if !ok {
		for i := range e.cat.profiles {
			if e.cat.profiles[i].ID == id {
				p, ok = &e.cat.profiles[i], true
			}
		}
	}
	if !ok {
		e.writeError(w, newError("ResourceNotFoundException", "The inference profile "+id+" doesn't exist."))
		return
	}
	writeJSON(w, mustJSON(profileJSON(p)))
}
