package resolver

import (
	"context"
	"fmt"

	graphql "github.com/graph-gophers/graphql-go"
	"golang.org/x/sync/errgroup"

	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// Environments lists the account's environments (REST Environment QUERY,
// paged to the end). When the client selects
// integrationPackEnvironmentAttachment, the attachments of all environments
// come from one IntegrationPackEnvironmentAttachment QUERY, run alongside;
// when it selects atoms, so do their Atoms (see loadAtoms).
func (q *Query) Environments(ctx context.Context) (*[]*Environment, error) {
	call, acct, err := account(ctx)
	if err != nil {
		return nil, err
	}
	wantAttachments := graphql.HasSelectedField(ctx, "integrationPackEnvironmentAttachment")
	var envs []platformapi.Environment
	var atts []platformapi.Attachment
	g, gctx := errgroup.WithContext(call)
	g.Go(func() (err error) {
		envs, err = q.r.platform.QueryEnvironments(gctx, acct, nil)
		return err
	})
	if wantAttachments {
		// Every environment is listed, so every attachment is wanted: no
		// filter, and no request per environment.
		g.Go(func() (err error) {
			atts, err = q.r.platform.QueryAttachments(gctx, acct, nil)
			return err
		})
	}
	var atoms *atomLoad
	if graphql.HasSelectedField(ctx, "atoms") {
		atoms = q.r.loadAtoms(gctx, g, acct)
	}
	if err := g.Wait(); err != nil {
		return nil, upstreamFault(err)
	}

	var byEnv map[string][]*Attachment
	if wantAttachments {
		byEnv = make(map[string][]*Attachment, len(envs))
		for _, a := range atts {
			inst, err := ids.ParseInstance(a.IntegrationPackInstanceID)
			if err != nil {
				return nil, malformed("attachment", fmt.Errorf("bad instance id in query result: %q", a.IntegrationPackInstanceID))
			}
			byEnv[a.EnvironmentID] = append(byEnv[a.EnvironmentID], &Attachment{
				id: ids.Attachment(inst, a.EnvironmentID), environmentID: a.EnvironmentID, instanceID: inst,
			})
		}
	}
	out := make([]*Environment, 0, len(envs))
	for _, e := range envs {
		if e.ID == "" {
			return nil, malformed("environment", fmt.Errorf("environment without id: %+v", e))
		}
		env := &Environment{
			id: e.ID, name: e.Name,
			classification: q.r.enum(ctx, "Classification", e.Classification, "PROD", "TEST"),
		}
		if wantAttachments {
			env.attachments = byEnv[e.ID]
			if env.attachments == nil {
				env.attachments = []*Attachment{}
			}
		}
		if atoms != nil {
			env.atoms = atoms.of(e.ID)
		}
		out = append(out, env)
	}
	return &out, nil
}

// Environment resolves Environment.
type Environment struct {
	id, name, classification string
	attachments              []*Attachment // nil unless selected
	atoms                    []*Atom       // nil unless selected
}

// ID is the environment's GUID.
func (e *Environment) ID() ID { return ID(e.id) }

// Name is the environment's name.
func (e *Environment) Name() *string { return &e.name }

// Classification is PROD or TEST; null for a value the schema does not
// know.
func (e *Environment) Classification() *string {
	if e.classification == "" {
		return nil
	}
	return &e.classification
}

// IntegrationPackEnvironmentAttachment lists the attachments to this
// environment, read by Environments.
func (e *Environment) IntegrationPackEnvironmentAttachment() *[]*Attachment {
	return &e.attachments
}
