package resolver_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// fakePlatform is the resolver tests' resolver.Platform: a struct of
// function fields, one per REST operation, with calls and filters counted
// by method name. A call whose field is nil fails the test when t is set,
// and answers errNoCatalog either way. The Spaces surface (noSpaces) fails
// every call.
type fakePlatform struct {
	noSpaces
	t       *testing.T
	mu      sync.Mutex
	calls   map[string]int
	filters map[string][]*platformapi.Expression

	create func(ctx context.Context, instanceID, env string) (platformapi.Attachment, error)
	delete func(ctx context.Context, id string) error
	query  func(ctx context.Context, filter *platformapi.Expression) ([]platformapi.Attachment, error)

	installInstance       func(packID, name string) (platformapi.Instance, error)
	uninstallInstance     func(id string) error
	getInstance           func(id string) (platformapi.Instance, error)
	queryInstances        func() ([]platformapi.Instance, error)
	queryEnvironments     func() ([]platformapi.Environment, error)
	queryIntegrationPacks func(f *platformapi.Expression) ([]platformapi.IntegrationPack, error)
}

func (f *fakePlatform) record(name string, filter *platformapi.Expression) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls, f.filters = map[string]int{}, map[string][]*platformapi.Expression{}
	}
	f.calls[name]++
	f.filters[name] = append(f.filters[name], filter)
}

func (f *fakePlatform) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakePlatform) unexpected(name string) error {
	if f.t != nil {
		f.t.Errorf("unexpected REST call %s", name)
	}
	return errNoCatalog
}

func (f *fakePlatform) CreateAttachment(ctx context.Context, _ platformapi.Account, instanceID, env string) (platformapi.Attachment, error) {
	f.record("CreateAttachment", nil)
	if f.create == nil {
		return platformapi.Attachment{}, f.unexpected("CreateAttachment")
	}
	return f.create(ctx, instanceID, env)
}

func (f *fakePlatform) DeleteAttachment(ctx context.Context, _ platformapi.Account, id string) error {
	f.record("DeleteAttachment", nil)
	if f.delete == nil {
		return f.unexpected("DeleteAttachment")
	}
	return f.delete(ctx, id)
}

func (f *fakePlatform) QueryAttachments(ctx context.Context, _ platformapi.Account, filter *platformapi.Expression) ([]platformapi.Attachment, error) {
	f.record("QueryAttachments", filter)
	if f.query == nil {
		return nil, f.unexpected("QueryAttachments")
	}
	return f.query(ctx, filter)
}

func (f *fakePlatform) InstallInstance(_ context.Context, _ platformapi.Account, packID, name string) (platformapi.Instance, error) {
	f.record("InstallInstance", nil)
	if f.installInstance == nil {
		return platformapi.Instance{}, f.unexpected("InstallInstance")
	}
	return f.installInstance(packID, name)
}

func (f *fakePlatform) UninstallInstance(_ context.Context, _ platformapi.Account, id string) error {
	f.record("UninstallInstance", nil)
	if f.uninstallInstance == nil {
		return f.unexpected("UninstallInstance")
	}
	return f.uninstallInstance(id)
}

func (f *fakePlatform) GetInstance(_ context.Context, _ platformapi.Account, id string) (platformapi.Instance, error) {
	f.record("GetInstance", nil)
	if f.getInstance == nil {
		return platformapi.Instance{}, f.unexpected("GetInstance")
	}
	return f.getInstance(id)
}

func (f *fakePlatform) QueryInstances(_ context.Context, _ platformapi.Account, filter *platformapi.Expression) ([]platformapi.Instance, error) {
	f.record("QueryInstances", filter)
	if f.queryInstances == nil {
		return nil, f.unexpected("QueryInstances")
	}
	return f.queryInstances()
}

func (f *fakePlatform) QueryEnvironments(_ context.Context, _ platformapi.Account, filter *platformapi.Expression) ([]platformapi.Environment, error) {
	f.record("QueryEnvironments", filter)
	if f.queryEnvironments == nil {
		return nil, f.unexpected("QueryEnvironments")
	}
	return f.queryEnvironments()
}

func (f *fakePlatform) QueryIntegrationPacks(_ context.Context, _ platformapi.Account, filter *platformapi.Expression) ([]platformapi.IntegrationPack, error) {
	f.record("QueryIntegrationPacks", filter)
	if f.queryIntegrationPacks == nil {
		return nil, f.unexpected("QueryIntegrationPacks")
	}
	return f.queryIntegrationPacks(filter)
}

var errNoCatalog = errors.New("fake: not implemented")
