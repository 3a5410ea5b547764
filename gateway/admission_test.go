package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/config"
	"github.com/ipack-gateway/ipack-gateway/internal/testutil"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// TestAdmissionAtCapacity (issue 12): with graphql.maxExecuting requests
// executing, the next one waits for a turn, counted as queued, and is
// refused after graphql.requestTimeout with 503 SERVICE_UNAVAILABLE and a
// Retry-After, logged and counted as rejected; once a turn frees, requests
// execute again. A client that sends its body slowly holds no turn.
func TestAdmissionAtCapacity(t *testing.T) {
	entered, release := make(chan struct{}, 4), make(chan struct{})
	logs := &testutil.SyncBuffer{}
	srv, _ := fakeServerLogging(t, fakePlatform{create: func(ctx context.Context, _ platformapi.Account, inst, env string) (platformapi.Attachment, error) {
		entered <- struct{}{}
		<-release // ignores ctx: the request holds its turn until released
		return platformapi.Attachment{ID: "att-" + env, EnvironmentID: env, IntegrationPackInstanceID: inst}, nil
	}}, slog.New(slog.NewJSONHandler(logs, nil)), func(c *config.Config) {
		c.GraphQL.MaxExecuting = 1
		// The wait for a turn; long enough for the test to see it.
		c.GraphQL.RequestTimeout = time.Second
	})
	gw := httptest.NewServer(srv)
	t.Cleanup(gw.Close)
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(free) // before gw.Close, which waits for the handler
	const env = "86b413a8-1ebf-4c95-bc5b-139573b77910"
	body := `{"query":` + strconv.Quote(attachQuery(seedInst, env)) + `}`
	postAs := func(token, body string) (int, http.Header, string) {
		req, _ := http.NewRequest(http.MethodPost, gw.URL+"/graphql", strings.NewReader(body))
		req.Header["SPACE_GUID"] = []string{"fake-space"}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, nil, ""
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b)
	}
	post := func() (int, http.Header, string) { return postAs(testToken, body) }
	metric := func(name string) string {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		for _, l := range strings.Split(rec.Body.String(), "\n") {
			if strings.HasPrefix(l, "ipack_gateway_"+name) {
				return l
			}
		}
		return ""
	}

	// A slow client: its headers and a byte of its body, then nothing.
	slow, err := net.Dial("tcp", strings.TrimPrefix(gw.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slow.Close() })
	head := "POST /graphql HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nSPACE_GUID: fake-space\r\nAuthorization: Bearer " +
		testToken + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	if _, err := io.WriteString(slow, head+body[:1]); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the slow request is in flight", func() bool {
		return metric("graphql_requests_in_flight ") == "ipack_gateway_graphql_requests_in_flight 1"
	})

	// The first request takes the one turn (the slow one holds none) and
	// keeps it.
	first := make(chan int, 1)
	go func() { st, _, _ := post(); first <- st }()
	select {
	case <-entered:
	case st := <-first:
		t.Fatalf("the first request ended (%d) before it executed: the slow client held the turn", st)
	}

	// Requests that will be refused before they execute take no turn:
	// they are answered at once, not after a wait; a bad token's body is
	// not even read (here it never comes).
	badBody := &countingReader{r: strings.NewReader(body)}
	badReq := httptest.NewRequest(http.MethodPost, "/graphql", badBody)
	badReq.Header["SPACE_GUID"] = []string{"fake-space"}
	badReq.Header.Set("Authorization", "Bearer not-a-token")
	badReq.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, badReq)
	if rec.Code != http.StatusUnauthorized || badBody.n != 0 {
		t.Errorf("a bad token at capacity: %d, %d bytes of its body read; want 401 with none read", rec.Code, badBody.n)
	}
	if st, _, b := postAs("not-a-token", body); st != http.StatusUnauthorized {
		t.Errorf("a bad token at capacity: %d %s, want 401 at once", st, b)
	}
	if st, _, b := postAs(testToken, `{"query":"`+strings.Repeat(" ", 2<<20)+`{ __typename }"}`); st != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the limit at capacity: %d %.200s, want 413 at once", st, b)
	}

	second := make(chan [3]any, 1)
	go func() { st, h, b := post(); second <- [3]any{st, h, b} }()
	testutil.Eventually(t, "the second request queues", func() bool {
		return metric("graphql_requests_queued ") == "ipack_gateway_graphql_requests_queued 1"
	})
	got := <-second
	st, h, b := got[0].(int), got[1].(http.Header), got[2].(string)
	var e struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	_ = json.Unmarshal([]byte(b), &e)
	if st != http.StatusServiceUnavailable || h.Get("Retry-After") != "1" || len(e.Errors) != 1 || e.Errors[0].Extensions["code"] != "SERVICE_UNAVAILABLE" {
		t.Fatalf("the request that waited for a turn: %d, Retry-After %q, %s; want 503 SERVICE_UNAVAILABLE with Retry-After 1", st, h.Get("Retry-After"), b)
	}
	if m := metric("graphql_requests_queued "); m != "ipack_gateway_graphql_requests_queued 0" {
		t.Errorf("after the refusal: %s", m)
	}
	// Its access line says how long it waited: the second of
	// graphql.requestTimeout.
	if !regexp.MustCompile(`"msg":"request",[^\n]*"status":503,[^\n]*"queued_ms":1\d\d\d\.`).MatchString(logs.String()) {
		t.Errorf("no access line of the 503 with queued_ms near 1000:\n%s", logs.String())
	}
	if m := metric(`graphql_requests_total{operation="unknown",outcome="rejected"}`); !strings.HasSuffix(m, " 4") {
		t.Errorf("the refusals (two 401s, 413, 503) are not counted as rejected: %q", m)
	}

	free()
	if st := <-first; st != http.StatusOK {
		t.Fatalf("the request that held the turn: %d", st)
	}
	if st, _, b := post(); st != http.StatusOK || !strings.Contains(b, `"environmentId":"`+env+`"`) {
		t.Errorf("once the turn is free: %d %s", st, b)
	}
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
