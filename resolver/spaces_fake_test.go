package resolver_test

import (
	"context"
	"encoding/json"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// noSpaces gives a fake the Spaces-surface part of resolver.Platform,
// failing every call.
type noSpaces struct{}

func (noSpaces) QueryAtoms(context.Context, platformapi.Account, *platformapi.Expression) ([]platformapi.Atom, error) {
	return nil, errNoCatalog
}

func (noSpaces) QueryEnvironmentAtomAttachments(context.Context, platformapi.Account, *platformapi.Expression) ([]platformapi.EnvironmentAtomAttachment, error) {
	return nil, errNoCatalog
}

func (noSpaces) QueryProcesses(context.Context, platformapi.Account, *platformapi.Expression) ([]platformapi.Process, error) {
	return nil, errNoCatalog
}

func (noSpaces) QueryEnvironmentExtensions(context.Context, platformapi.Account, *platformapi.Expression) ([]platformapi.EnvironmentExtensions, error) {
	return nil, errNoCatalog
}

func (noSpaces) UpdateEnvironmentExtensions(context.Context, platformapi.Account, string, json.RawMessage) (json.RawMessage, error) {
	return nil, errNoCatalog
}

func (noSpaces) QueryMapExtensionsSummaries(context.Context, platformapi.Account, *platformapi.Expression) ([]platformapi.MapExtensionsSummary, error) {
	return nil, errNoCatalog
}

func (noSpaces) GetMapExtensions(context.Context, platformapi.Account, []string) ([]platformapi.BulkResult[json.RawMessage], error) {
	return nil, errNoCatalog
}

func (noSpaces) UpdateMapExtension(context.Context, platformapi.Account, string, json.RawMessage) (json.RawMessage, error) {
	return nil, errNoCatalog
}
