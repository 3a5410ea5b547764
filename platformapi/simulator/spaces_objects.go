package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/ipack-gateway/ipack-gateway/internal/jsonobject"
)

// The REST objects behind the vendor's Spaces operations beyond attach:
// Atoms and their environments, processes, and the environment
// extensions and map extensions of installed integration packs.

const (
	atomObject         = "Atom"
	envAtomObject      = "EnvironmentAtomAttachment"
	processObject      = "Process"
	envExtObject       = "EnvironmentExtensions"
	mapSummaryObject   = "EnvironmentMapExtensionsSummary"
	mapExtensionObject = "EnvironmentMapExtension"
)

// Atom is a REST Atom object.
type Atom struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Status   string `json:"status,omitempty"`
	Type     string `json:"type,omitempty"`
	HostName string `json:"hostName,omitempty"`
}

// EnvironmentAtomAttachment is a REST EnvironmentAtomAttachment object.
type EnvironmentAtomAttachment struct {
	AtomID        string `json:"atomId"`
	EnvironmentID string `json:"environmentId"`
	ID            string `json:"id"`
}

// Process is a REST Process object.
type Process struct {
	IntegrationPack []ProcessIntegrationPack `json:"IntegrationPack,omitempty"`
	ID              string                   `json:"id"`
	Name            string                   `json:"name"`
}

// ProcessIntegrationPack is a REST ProcessIntegrationPackInfo.
type ProcessIntegrationPack struct {
	IntegrationPackID         string `json:"integrationPackId"`
	IntegrationPackInstanceID string `json:"integrationPackInstanceId"`
}

// document is an object the simulator keeps as the JSON it was given
// (EnvironmentExtensions, EnvironmentMapExtension and its summary): these
// are large, nested, and their member order is part of what the vendor's
// samples show, so they are stored and answered byte for byte, "@type"
// first.
type document struct {
	id, environmentID, extensionGroupID string
	body                                json.RawMessage // compact, "@type" first
}

func (d document) typedJSON() json.RawMessage { return d.body }

// spacesState is the part of an account that holds these objects.
type spacesState struct {
	atoms         []Atom
	envAtoms      []EnvironmentAtomAttachment
	processes     []Process
	envExtensions []document
	mapSummaries  []document
	mapExtensions []document
}

// AddAtom adds an Atom to account id.
func (s *Server) AddAtom(id string, atom Atom) {
	s.withAccount(id, func(a *account) { a.atoms = append(a.atoms, atom) })
}

// AttachAtom attaches atomID to environmentID on account id. Inferred: the
// attachment's id (the vendor documents none) is "<atomId>:<environmentId>".
func (s *Server) AttachAtom(id, atomID, environmentID string) {
	s.withAccount(id, func(a *account) {
		a.envAtoms = append(a.envAtoms, EnvironmentAtomAttachment{ID: atomID + ":" + environmentID, AtomID: atomID, EnvironmentID: environmentID})
	})
}

// AddProcess adds a process to account id.
func (s *Server) AddProcess(id string, p Process) {
	s.withAccount(id, func(a *account) { a.processes = append(a.processes, p) })
}

// AddEnvironmentExtensions adds an EnvironmentExtensions object, given as
// the vendor's JSON (with its "@type", "id", "environmentId" and
// "extensionGroupId"), to account id.
func (s *Server) AddEnvironmentExtensions(id string, object string) {
	d := mustDocument(envExtObject, object)
	s.withAccount(id, func(a *account) { a.envExtensions = append(a.envExtensions, d) })
}

// AddMapExtensionsSummary adds an EnvironmentMapExtensionsSummary object,
// given as the vendor's JSON, to account id.
func (s *Server) AddMapExtensionsSummary(id string, object string) {
	d := mustDocument(mapSummaryObject, object)
	s.withAccount(id, func(a *account) { a.mapSummaries = append(a.mapSummaries, d) })
}

// AddMapExtension adds an EnvironmentMapExtension object, given as the
// vendor's JSON, to account id.
func (s *Server) AddMapExtension(id string, object string) {
	d := mustDocument(mapExtensionObject, object)
	s.withAccount(id, func(a *account) { a.mapExtensions = append(a.mapExtensions, d) })
}

// EnvironmentExtensions returns the JSON of account id's
// EnvironmentExtensions object extID, and whether it exists.
func (s *Server) EnvironmentExtensions(id, extID string) (string, bool) {
	var out string
	var ok bool
	s.withAccount(id, func(a *account) {
		if i := findDocument(a.envExtensions, extID); i >= 0 {
			out, ok = string(a.envExtensions[i].body), true
		}
	})
	return out, ok
}

// MapExtension returns the JSON of account id's EnvironmentMapExtension
// object extID, and whether it exists.
func (s *Server) MapExtension(id, extID string) (string, bool) {
	var out string
	var ok bool
	s.withAccount(id, func(a *account) {
		if i := findDocument(a.mapExtensions, extID); i >= 0 {
			out, ok = string(a.mapExtensions[i].body), true
		}
	})
	return out, ok
}

func mustDocument(object, text string) document {
	d, err := newDocument(object, []byte(text))
	if err != nil {
		panic(fmt.Sprintf("simulator: %s: %v", object, err))
	}
	return d
}

// newDocument reads an object's JSON, keeping its members in order, and
// makes "@type" its first member.
func newDocument(object string, text []byte) (document, error) {
	members, err := jsonobject.Members(text)
	if err != nil {
		return document{}, err
	}
	d := document{}
	str := func(k string) string {
		var s string
		if i := jsonobject.Index(members, k); i >= 0 {
			_ = json.Unmarshal(members[i].Value, &s)
		}
		return s
	}
	d.id, d.environmentID, d.extensionGroupID = str("id"), str("environmentId"), str("extensionGroupId")
	if d.id == "" {
		return document{}, fmt.Errorf("no id")
	}
	d.body = encodeMembers(object, members)
	return d, nil
}

// encodeMembers writes members as a compact object, "@type" (object) first.
func encodeMembers(object string, ms []jsonobject.Member) json.RawMessage {
	typ, _ := json.Marshal(object)
	out := []jsonobject.Member{{Key: "@type", Value: typ}}
	for _, m := range ms {
		if m.Key != "@type" {
			out = append(out, m)
		}
	}
	return jsonobject.Encode(out)
}

func findDocument(ds []document, id string) int {
	return slices.IndexFunc(ds, func(d document) bool { return d.id == id })
}

// routeSpaces adds the routes of these objects to the account router.
func (s *Server) routeSpaces(r chi.Router) {
	r.Get("/"+atomObject+"/{id}", s.getOne(atomObject))
	r.Get("/"+processObject+"/{id}", s.getOne(processObject))
	r.Get("/"+envExtObject+"/{id}", s.getOne(envExtObject))
	r.Get("/"+mapExtensionObject+"/{id}", s.getOne(mapExtensionObject))
	for _, obj := range []string{atomObject, processObject, mapExtensionObject} {
		r.Post("/"+obj+"/bulk", s.bulkGet(obj))
	}
	// UPDATE: the reference's POST /{Object}/{id}, and the /{id}/update
	// that the Spaces docs and the vendor's CLI scripts use.
	for _, obj := range []string{envExtObject, mapExtensionObject} {
		r.Post("/"+obj+"/{id}", s.update(obj))
		r.Post("/"+obj+"/{id}/update", s.update(obj))
	}
}

// find returns account a's object of type object with id, or false.
func (a *account) find(object, id string) (any, bool) {
	var i int
	switch object {
	case atomObject:
		if i = slices.IndexFunc(a.atoms, func(x Atom) bool { return x.ID == id }); i >= 0 {
			return a.atoms[i], true
		}
	case processObject:
		if i = slices.IndexFunc(a.processes, func(x Process) bool { return x.ID == id }); i >= 0 {
			return a.processes[i], true
		}
	case envExtObject:
		// The reference also accepts the plain environment id, for the
		// extensions of an environment without extension groups.
		if i = slices.IndexFunc(a.envExtensions, func(d document) bool {
			return d.id == id || (d.extensionGroupID == "" && d.environmentID == id)
		}); i >= 0 {
			return a.envExtensions[i], true
		}
	case mapExtensionObject:
		if i = findDocument(a.mapExtensions, id); i >= 0 {
			return a.mapExtensions[i], true
		}
	}
	return nil, false
}

func (s *Server) getOne(object string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.serveAccount(w, r, func(a *account) {
			id := chi.URLParam(r, "id")
			o, ok := a.find(object, id)
			if !ok {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("%s %s does not exist.", object, id))
				return
			}
			writeJSON(w, http.StatusOK, typed(object, o))
		})
	}
}

// bulkGet answers POST /{Object}/bulk {"type":"GET","request":[{"id"}…]}:
// one BulkResponse per id, in order, each with its own status (an unknown
// id is a 400 item, not a failed call). More than 100 ids is a 400.
func (s *Server) bulkGet(object string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.serveAccount(w, r, func(a *account) {
			var in struct {
				Type    string `json:"type"`
				Request []struct {
					ID string `json:"id"`
				} `json:"request"`
			}
			if !decodeJSON(w, r, &in) {
				return
			}
			// A bulk GET of at most 100 ids ([OAS] in
			// ../shared/notes/spaces-surface.md, "REST conventions"); the
			// 400s' texts are made up.
			if in.Type != "GET" {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("Unsupported bulk operation type: %s.", in.Type))
				return
			}
			if len(in.Request) > 100 {
				writeError(w, http.StatusBadRequest, "A bulk request takes at most 100 ids.")
				return
			}
			type item struct {
				Type         string          `json:"@type"`
				Result       json.RawMessage `json:"Result,omitempty"`
				Index        int             `json:"index"`
				ID           string          `json:"id"`
				StatusCode   int             `json:"statusCode"`
				ErrorMessage string          `json:"errorMessage,omitempty"`
			}
			res := struct {
				Type     string `json:"@type"`
				Response []item `json:"response"`
			}{Type: "BulkResult", Response: []item{}}
			for i, req := range in.Request {
				it := item{Type: "BulkResponse", Index: i, ID: req.ID, StatusCode: http.StatusOK}
				if o, ok := a.find(object, req.ID); ok {
					it.Result = typed(object, o)
				} else {
					it.StatusCode = http.StatusBadRequest
					it.ErrorMessage = fmt.Sprintf("%s %s does not exist.", object, req.ID)
				}
				res.Response = append(res.Response, it)
			}
			writeJSON(w, http.StatusOK, res)
		})
	}
}

// update answers an UPDATE of an EnvironmentExtensions or
// EnvironmentMapExtension object, and answers the object as stored.
//
// EnvironmentExtensions: with "partial": true, the members sent replace
// the stored ones and the others are kept; without it, the object is
// replaced, so what was not sent is reset (the reference's rule; inferred:
// "reset" is modelled as "dropped"). EnvironmentMapExtension: the object is
// replaced by the body as sent. Inferred from the Spaces sample, whose
// answer is its request's body: an "id" in the body that differs from the
// path's is kept as sent.
func (s *Server) update(object string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.serveAccount(w, r, func(a *account) {
			if ct := r.Header.Get("Content-Type"); len(ct) < 16 || ct[:16] != "application/json" {
				writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json.")
				return
			}
			id := chi.URLParam(r, "id")
			store := &a.envExtensions
			if object == mapExtensionObject {
				store = &a.mapExtensions
			}
			i := findDocument(*store, id)
			if i < 0 {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("%s %s does not exist.", object, id))
				return
			}
			var body bytes.Buffer
			if _, err := body.ReadFrom(r.Body); err != nil {
				writeError(w, http.StatusBadRequest, "Unable to read request body.")
				return
			}
			sent, err := jsonobject.Members(body.Bytes())
			if err != nil {
				writeError(w, http.StatusBadRequest, "Unable to parse request body.")
				return
			}
			old := (*store)[i]
			members := sent
			if object == envExtObject {
				partial := false
				if j := jsonobject.Index(sent, "partial"); j >= 0 {
					var v any
					_ = json.Unmarshal(sent[j].Value, &v)
					partial = v == true || v == "true"
					sent = slices.Delete(slices.Clone(sent), j, j+1)
				}
				members = sent
				if partial {
					members, _ = jsonobject.Members(old.body)
					for _, m := range sent {
						if k := jsonobject.Index(members, m.Key); k >= 0 {
							members[k].Value = m.Value
						} else {
							members = append(members, m)
						}
					}
				}
				// The keys are the path's, whatever the body says.
				for key, val := range map[string]string{"id": old.id, "environmentId": old.environmentID, "extensionGroupId": old.extensionGroupID} {
					v, _ := json.Marshal(val)
					if k := jsonobject.Index(members, key); k >= 0 {
						members[k].Value = v
					} else {
						members = append(members, jsonobject.Member{Key: key, Value: v})
					}
				}
			}
			d := document{id: old.id, environmentID: old.environmentID, extensionGroupID: old.extensionGroupID, body: encodeMembers(object, members)}
			(*store)[i] = d
			writeJSON(w, http.StatusOK, d.body)
		})
	}
}
