package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/ipack-gateway/ipack-gateway/ids"
)

const (
	attachmentObject  = "IntegrationPackEnvironmentAttachment"
	instanceObject    = "IntegrationPackInstance"
	environmentObject = "Environment"
	packObject        = "IntegrationPack"
)

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Route("/{accountId}", func(r chi.Router) {
		r.Post("/"+attachmentObject, s.createAttachment)
		r.Delete("/"+attachmentObject+"/{id}", s.deleteAttachment)
		r.Post("/"+instanceObject, s.createInstance)
		r.Get("/"+instanceObject+"/{id}", s.getInstance)
		r.Delete("/"+instanceObject+"/{id}", s.deleteInstance)
		r.Get("/"+packObject+"/{id}", s.getPack)
		r.Get("/Account/{id}", s.getAccount)
		for obj := range queryObjects {
			r.Post("/"+obj+"/query", s.query(obj))
			r.Post("/"+obj+"/queryMore", s.queryMore(obj))
		}
		s.routesRuns(r)
		s.routeSpaces(r)
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Unknown resource.")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		// The vendor does not support GET or UPDATE on attachments.
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("The %s operation is not supported.", r.Method))
	})
	return r
}

// decodeJSON reads a JSON request body, answering 400/415 itself on failure.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json.")
		return false
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Unable to parse request body.")
		return false
	}
	return true
}

func (s *Server) createAttachment(w http.ResponseWriter, r *http.Request) {
	var in struct {
		IntegrationPackInstanceID string `json:"integrationPackInstanceId"`
		EnvironmentID             string `json:"environmentId"`
	}
	s.serveAccount(w, r, func(a *account) {
		if !decodeJSON(w, r, &in) {
			return
		}
		// The instance and the environment must exist: REST answers 400
		// "X does not exist" for bad input (../shared/notes/platform-api.md,
		// "Status codes"). No rule on the pack's installation type: a
		// single-install pack is installed into environments too (the
		// vendor's Spaces guide, Getting_started/User_Space/
		// installing_single_installation.md, step 3, "Select one or multiple
		// environments").
		if a.findInstance(in.IntegrationPackInstanceID) < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("IntegrationPackInstance %s does not exist.", in.IntegrationPackInstanceID))
			return
		}
		if a.findEnvironment(in.EnvironmentID) < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Environment %s does not exist.", in.EnvironmentID))
			return
		}
		att := Attachment{
			ID:                        ids.Attachment(in.IntegrationPackInstanceID, in.EnvironmentID),
			IntegrationPackInstanceID: in.IntegrationPackInstanceID,
			EnvironmentID:             in.EnvironmentID,
		}
		// Inferred: attaching twice answers the existing attachment, since its
		// id is a function of its keys.
		if a.findAttachment(att.ID) < 0 {
			a.attachments = append(a.attachments, att)
		}
		writeJSON(w, http.StatusOK, typed(attachmentObject, att))
	})
}

func (s *Server) deleteAttachment(w http.ResponseWriter, r *http.Request) {
	s.serveAccount(w, r, func(a *account) {
		id := chi.URLParam(r, "id")
		i := a.findAttachment(id)
		if i < 0 {
			// Inferred: the vendor's "X does not exist" shape, with 400.
			writeError(w, http.StatusBadRequest, fmt.Sprintf("IntegrationPackEnvironmentAttachment %s does not exist.", id))
			return
		}
		a.attachments = append(a.attachments[:i], a.attachments[i+1:]...)
		writeJSON(w, http.StatusOK, true)
	})
}

func (s *Server) createInstance(w http.ResponseWriter, r *http.Request) {
	var in struct {
		IntegrationPackID           string `json:"integrationPackId"`
		IntegrationPackOverrideName string `json:"integrationPackOverrideName"`
	}
	s.serveAccount(w, r, func(a *account) {
		if !decodeJSON(w, r, &in) {
			return
		}
		p := a.findPack(in.IntegrationPackID)
		if p < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("IntegrationPack %s does not exist.", in.IntegrationPackID))
			return
		}
		// "You can set the integrationPackOverrideName field only if you
		// configure the specified integration pack to allow multiple
		// installs" (the OpenAPI's IntegrationPackInstance CREATE, [OAS] in
		// ../shared/notes/spaces-surface.md).
		if a.packs[p].InstallationType == "SINGLE" && in.IntegrationPackOverrideName != "" {
			writeError(w, http.StatusBadRequest, "An override name is only supported for multi-install integration packs.")
			return
		}
		// "A single attachment integration pack allows the installation of
		// only one instance of the integration per account" (the vendor's
		// Spaces guide, Getting_started/User_Space/
		// installing_single_installation.md). The 400 and its text are
		// inferred.
		if a.packs[p].InstallationType == "SINGLE" && slices.ContainsFunc(a.instances, func(x Instance) bool { return x.IntegrationPackID == in.IntegrationPackID }) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("IntegrationPack %s is a single-install integration pack and is already installed.", in.IntegrationPackID))
			return
		}
		inst := Instance{ID: ids.Instance(a.nextInstance), IntegrationPackID: in.IntegrationPackID, IntegrationPackOverrideName: in.IntegrationPackOverrideName}
		a.nextInstance++
		a.instances = append(a.instances, inst)
		writeJSON(w, http.StatusOK, typed(instanceObject, inst))
	})
}

func (s *Server) getInstance(w http.ResponseWriter, r *http.Request) {
	s.serveAccount(w, r, func(a *account) {
		id := chi.URLParam(r, "id")
		i := a.findInstance(id)
		if i < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("IntegrationPackInstance %s does not exist.", id))
			return
		}
		writeJSON(w, http.StatusOK, typed(instanceObject, a.instances[i]))
	})
}

func (s *Server) deleteInstance(w http.ResponseWriter, r *http.Request) {
	s.serveAccount(w, r, func(a *account) {
		id := chi.URLParam(r, "id")
		i := a.findInstance(id)
		if i < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("IntegrationPackInstance %s does not exist.", id))
			return
		}
		a.instances = append(a.instances[:i], a.instances[i+1:]...)
		// Uninstalling removes the instance's attachments with it:
		// "Uninstalling completely removes the integration along with the
		// data, configuration, and integration activity associated with it"
		// (the vendor's Spaces guide, Getting_started/User_Space/
		// uninstalling_integrations.md); its environments are that
		// configuration.
		kept := a.attachments[:0]
		for _, att := range a.attachments {
			if att.IntegrationPackInstanceID != id {
				kept = append(kept, att)
			}
		}
		a.attachments = kept
		writeJSON(w, http.StatusOK, true)
	})
}

func (s *Server) getPack(w http.ResponseWriter, r *http.Request) {
	s.serveAccount(w, r, func(a *account) {
		id := chi.URLParam(r, "id")
		i := a.findPack(id)
		if i < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("IntegrationPack %s does not exist.", id))
			return
		}
		writeJSON(w, http.StatusOK, typed(packObject, a.packs[i]))
	})
}

// getAccount answers GET Account/{id} for the account itself; the gateway's
// readiness probe calls it without credentials, and gets 401.
func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	s.serveAccount(w, r, func(a *account) {
		if id := chi.URLParam(r, "id"); id != a.id {
			writeError(w, http.StatusForbidden, fmt.Sprintf("Account %s is not accessible.", id))
			return
		}
		writeJSON(w, http.StatusOK, typed("Account", map[string]string{"accountId": a.id, "status": "active"}))
	})
}

// typed adds the "@type" member the vendor puts on every object.
func typed(typ string, v any) json.RawMessage {
	if d, ok := v.(interface{ typedJSON() json.RawMessage }); ok {
		return d.typedJSON() // kept as the vendor's JSON, "@type" and all
	}
	b, _ := json.Marshal(v)
	return json.RawMessage(`{"@type":"` + typ + `",` + string(b[1:]))
}
