package resolver

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	"golang.org/x/sync/errgroup"

	"github.com/ipack-gateway/ipack-gateway/internal/jsonobject"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// loadExtensions fills environmentExtensions and environmentMapExtension of
// the attachments of one instance, for all of them at once. The instance's
// processes (procs) are its extension groups (for a multi-install pack the
// process id is the extensionGroupId). Inferred: the vendor's docs name only
// Environment and IntegrationPackEnvironmentAttachment for this query, but
// its sample answer holds an EnvironmentMapExtension bulk GET answer; these
// are the REST objects that hold what it shows.
//
// REST calls, for any number of attachments: environmentExtensions, one
// EnvironmentExtensions QUERY; environmentMapExtension, one
// EnvironmentMapExtensionsSummary QUERY and one EnvironmentMapExtension bulk
// GET per 100 map extensions; the two run alongside. Each QUERY is filtered
// by the instance's extension groups, whose extensions exist only where the
// instance is attached, and is one QUERY per MaxFilterIDs groups (the
// instance's processes; most have a handful).
func (r *Resolver) loadExtensions(ctx context.Context, acct platformapi.Account, procs []platformapi.Process, atts []*Attachment, wantMaps, wantExt bool) error {
	var groups []string
	seen := map[string]bool{}
	for _, p := range procs {
		if p.ID != "" && !seen[p.ID] {
			seen[p.ID] = true
			groups = append(groups, p.ID)
		}
	}
	if len(groups) == 0 || len(atts) == 0 {
		for _, a := range atts {
			empty := []*string{}
			a.mapExtensions = &empty
		}
		return nil
	}
	envs := map[string]bool{}
	for _, a := range atts {
		envs[a.environmentID] = true
	}

	var exts []platformapi.EnvironmentExtensions
	var sums []platformapi.MapExtensionsSummary
	var bulk []platformapi.BulkResult[json.RawMessage]
	g, gctx := errgroup.WithContext(ctx)
	if wantExt {
		g.Go(func() (err error) {
			exts, err = queryByIDs(gctx, nil, "extensionGroupId", groups, func(ctx context.Context, f *platformapi.Expression) ([]platformapi.EnvironmentExtensions, error) {
				return r.platform.QueryEnvironmentExtensions(ctx, acct, f)
			})
			return err
		})
	}
	if wantMaps {
		g.Go(func() error {
			all, err := queryByIDs(gctx, nil, "extensionGroupId", groups, func(ctx context.Context, f *platformapi.Expression) ([]platformapi.MapExtensionsSummary, error) {
				return r.platform.QueryMapExtensionsSummaries(ctx, acct, f)
			})
			if err != nil {
				return err
			}
			var ids []string
			for _, s := range all {
				if envs[s.EnvironmentID] && seen[s.ExtensionGroupID] && s.ID != "" {
					sums = append(sums, s)
					ids = append(ids, s.ID)
				}
			}
			bulk, err = r.platform.GetMapExtensions(gctx, acct, ids)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return fromPlatform(err)
	}

	if wantExt {
		byEnv := map[string]map[string][]json.RawMessage{} // env -> group -> objects
		for _, e := range exts {
			if byEnv[e.EnvironmentID] == nil {
				byEnv[e.EnvironmentID] = map[string][]json.RawMessage{}
			}
			byEnv[e.EnvironmentID][e.ExtensionGroupID] = append(byEnv[e.EnvironmentID][e.ExtensionGroupID], e.Raw)
		}
		for _, a := range atts {
			var objs []json.RawMessage
			for _, grp := range groups {
				objs = append(objs, byEnv[a.environmentID][grp]...)
			}
			if len(objs) > 0 {
				s := string(joinArray(objs))
				a.extensions = &s
			}
		}
	}
	if wantMaps {
		items, err := bulkItems(bulk)
		if err != nil {
			return err
		}
		type key struct{ env, group string }
		byKey := map[key][]json.RawMessage{}
		for _, s := range sums {
			if it, ok := items[s.ID]; ok {
				k := key{s.EnvironmentID, s.ExtensionGroupID}
				byKey[k] = append(byKey[k], it)
			}
		}
		for _, a := range atts {
			list := make([]*string, 0, len(groups))
			for _, grp := range groups {
				s := ""
				if its := byKey[key{a.environmentID, grp}]; len(its) > 0 {
					s = string(bulkResult(its))
				}
				list = append(list, &s)
			}
			a.mapExtensions = &list
		}
	}
	return nil
}

// EnvironmentMapExtension is, in the attachments query, one string per
// process of the instance (see loadExtensions); null in attach.
func (a *Attachment) EnvironmentMapExtension() *[]*string {
	return a.mapExtensions
}

// bulkItems indexes the items of bulk GET answers by id, each as REST sent
// it.
func bulkItems(res []platformapi.BulkResult[json.RawMessage]) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	for _, r := range res {
		var v struct {
			Response []json.RawMessage `json:"response"`
		}
		if err := json.Unmarshal(r.Raw, &v); err != nil {
			return nil, malformed("map extension", err)
		}
		for _, it := range v.Response {
			var id struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(it, &id); err != nil {
				return nil, malformed("map extension", err)
			}
			out[id.ID] = it
		}
	}
	return out, nil
}

// bulkResult is a REST BulkResult of items, each item's index renumbered
// to its place here: what one bulk GET of just these ids answers.
func bulkResult(items []json.RawMessage) json.RawMessage {
	renumbered := make([]json.RawMessage, len(items))
	for i, it := range items {
		renumbered[i] = setMember(it, "index", []byte(strconv.Itoa(i)))
	}
	var b bytes.Buffer
	b.WriteString(`{"@type":"BulkResult","response":`)
	b.Write(joinArray(renumbered))
	b.WriteByte('}')
	return b.Bytes()
}

func joinArray(items []json.RawMessage) []byte {
	b := []byte("[")
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

// setMember returns the JSON object obj with member key set to value, in
// its place when obj has it (members keep their order), else appended. obj
// is returned unchanged if it is not an object.
func setMember(obj json.RawMessage, key string, value []byte) json.RawMessage {
	members, err := jsonobject.Members(obj)
	if err != nil {
		return obj
	}
	found := false
	for i := range members {
		if members[i].Key == key {
			members[i].Value, found = value, true
		}
	}
	if !found {
		members = append(members, jsonobject.Member{Key: key, Value: value})
	}
	return jsonobject.Encode(members)
}

func ptr[T any](v T) *T { return &v }
