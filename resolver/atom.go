package resolver

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// atomLoad is the Atoms of every environment, read for one environments
// query.
type atomLoad struct {
	attachments []platformapi.EnvironmentAtomAttachment
	names       map[string]string // atom id -> name
	byEnv       map[string][]*Atom
}

// loadAtoms starts, on g, the two reads behind Environment.atoms: one
// EnvironmentAtomAttachment QUERY for all environments and one Atom QUERY
// for their names, both unfiltered (every environment is listed, so every
// attachment is wanted) and both alongside the Environment QUERY. Inferred:
// the vendor's docs name neither object for this query; these are the REST
// objects that hold an environment's Atoms and their names.
func (r *Resolver) loadAtoms(ctx context.Context, g *errgroup.Group, acct platformapi.Account) *atomLoad {
	l := &atomLoad{}
	g.Go(func() (err error) {
		l.attachments, err = r.platform.QueryEnvironmentAtomAttachments(ctx, acct, nil)
		return err
	})
	var atoms []platformapi.Atom
	g.Go(func() (err error) {
		atoms, err = r.platform.QueryAtoms(ctx, acct, nil)
		if err == nil {
			l.names = make(map[string]string, len(atoms))
			for _, a := range atoms {
				l.names[a.ID] = a.Name
			}
		}
		return err
	})
	return l
}

// of returns the Atoms attached to environment env, in REST's order; an
// empty list when there are none.
func (l *atomLoad) of(env string) []*Atom {
	if l.byEnv == nil {
		l.byEnv = make(map[string][]*Atom)
		for _, a := range l.attachments {
			if a.AtomID == "" {
				continue
			}
			atom := &Atom{id: a.AtomID}
			if name, ok := l.names[a.AtomID]; ok {
				atom.name = &name
			}
			l.byEnv[a.EnvironmentID] = append(l.byEnv[a.EnvironmentID], atom)
		}
	}
	if atoms := l.byEnv[env]; atoms != nil {
		return atoms
	}
	return []*Atom{}
}

// Atoms lists the Atoms attached to this environment, read by Environments.
func (e *Environment) Atoms() *[]*Atom { return &e.atoms }

// Atom resolves Atom: a runtime attached to an environment.
type Atom struct {
	id   string
	name *string // nil when the Atom was not found by the name query
}

// ID is the Atom's GUID.
func (a *Atom) ID() ID { return ID(a.id) }

// Name is the Atom's name.
func (a *Atom) Name() *string { return a.name }
