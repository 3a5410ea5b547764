package resolver

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// checkingPlatform counts CheckCredentials calls and answers them with err.
type checkingPlatform struct {
	Platform // nil: only CheckCredentials is called
	calls    atomic.Int32
	err      error
}

func (p *checkingPlatform) CheckCredentials(context.Context, platformapi.Account) error {
	p.calls.Add(1)
	time.Sleep(10 * time.Millisecond) // long enough for concurrent checks to meet
	return p.err
}

// passthroughDir says every request's token is unverified, under key.
type passthroughDir struct {
	SpaceDirectory
	key [32]byte
}

func (d passthroughDir) Unverified(context.Context) ([32]byte, bool) { return d.key, true }

// TestCheckUnverified: concurrent checks of one token make one REST call;
// its success is remembered for verifiedTTL, its failure not at all and
// reaches the field as the REST call's error.
func TestCheckUnverified(t *testing.T) {
	t0 := time.Now()
	now := t0
	p := &checkingPlatform{}
	r := New(p, Options{})
	r.verified.now = func() time.Time { return now }
	ctx := WithAccount(context.Background(), platformapi.Account{ID: "acct"})
	dir := passthroughDir{key: [32]byte{1}}

	var wg sync.WaitGroup
	for range 4 { // the spaces fields of one request, at once
		wg.Go(func() {
			if err := r.checkUnverified(ctx, dir); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := p.calls.Load(); n != 1 {
		t.Errorf("%d calls for 4 concurrent checks, want 1", n)
	}
	now = t0.Add(verifiedTTL - time.Second)
	_ = r.checkUnverified(ctx, dir)
	if n := p.calls.Load(); n != 1 {
		t.Errorf("%d calls within verifiedTTL, want 1", n)
	}
	now = t0.Add(verifiedTTL)
	_ = r.checkUnverified(ctx, dir)
	if n := p.calls.Load(); n != 2 {
		t.Errorf("%d calls once verifiedTTL passed, want 2", n)
	}

	p.err = &platformapi.Error{Method: "GET", Object: "Account", StatusCode: http.StatusUnauthorized}
	bad := passthroughDir{key: [32]byte{2}}
	for i := range 2 {
		err := r.checkUnverified(ctx, bad)
		var e *errcode.Error
		if !errors.As(err, &e) || e.Code != errcode.Unauthorized || e.Message != "Downstream Execution Error: Unauthorized" {
			t.Errorf("check %d of a refused token: %v, want the REST 401's field error", i, err)
		}
	}
	if n := p.calls.Load(); n != 4 {
		t.Errorf("%d calls after two checks of a refused token, want 4: a refusal is not remembered here", n)
	}
}
