package gateway_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// metricLine returns srv's metric line of name (without labels), or "".
func metricLine(srv http.Handler, name string) string {
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(l, "ipack_gateway_"+name+" ") {
			return l
		}
	}
	return ""
}

// awaitMetric polls, 10ms apart, for at most 5s, until srv's metric name
// reads want.
func awaitMetric(t *testing.T, srv http.Handler, name, want string) {
	t.Helper()
	for i := 0; metricLine(srv, name) != want && i < 500; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if got := metricLine(srv, name); got != want {
		t.Fatalf("%s = %q, want %q", name, got, want)
	}
}

// TestRefusalDoesNotReadTheBody is issue 17's repro: a request refused
// before its body is read (no or bad credentials, an unknown space, a
// method the path does not take, a body over graphql.maxBodyBytes, a
// client over its rate)
// declares Content-Length 100000 and sends the headers and a byte or
// two, as a client sending a byte every 3 s would: at that pace the body
// would take 3 days, and server.readTimeout is 30 s. net/http alone reads
// an unread body of less than 256 KiB before it answers or reuses the
// connection, so the 401 came at readTimeout. Now the answer comes at once
// with "Connection: close", and the gateway closes the connection (EOF)
// without waiting for the body: both well within the 10 s the client
// waits here, a third of readTimeout.
func TestRefusalDoesNotReadTheBody(t *testing.T) {
	// The client's rate allows one request: the 413's.
	srv, _ := newServer(t, envOptions{extraYAML: "server: {readTimeout: 30s}\ngraphql: {maxBodyBytes: 1000}\nclients: {requestsPerSecond: 0.01, burst: 1}\n"})
	var base string
	serve(t, srv, &base)
	addr := strings.TrimPrefix(base, "http://")
	tests := []struct {
		name, method, path, headers string
		sent                        int // bytes of the body sent
		want                        int
	}{
		{"no credentials", "POST", "/graphql", "SPACE_GUID: " + testSpace + "\r\n", 1, 401},
		{"bad token", "POST", "/graphql", "SPACE_GUID: " + testSpace + "\r\nAuthorization: Bearer wrong\r\n", 1, 401},
		{"unknown space", "POST", "/graphql", "SPACE_GUID: nope\r\nAuthorization: Bearer " + testToken + "\r\n", 1, 401},
		// Without SPACE_GUID, a token that names no space (a client token's
		// space would be taken: spaceinfer.go).
		{"no space", "POST", "/graphql", "Authorization: Bearer wrong\r\n", 1, 401},
		{"method not allowed", "POST", "/healthz", "", 1, 405},
		{"unknown path", "PUT", "/nowhere", "", 1, 404},
		{"body over the limit", "POST", "/graphql", "SPACE_GUID: " + testSpace + "\r\nAuthorization: Bearer " + testToken + "\r\n", 1001, 413},
		// Refused by the client's rate limit before the body is read: a
		// flood of 429s costs no body bytes, nor a turn.
		{"over the client's rate", "POST", "/graphql", "SPACE_GUID: " + testSpace + "\r\nAuthorization: Bearer " + testToken + "\r\n", 1, 429},
		{"expects 100-continue", "POST", "/graphql", "SPACE_GUID: " + testSpace + "\r\nExpect: 100-continue\r\n", 0, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			head := tt.method + " " + tt.path + " HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n" + tt.headers +
				"Content-Length: 100000\r\n\r\n"
			body := `{"query":"` + strings.Repeat("x", 2000)
			if _, err := io.WriteString(c, head+body[:tt.sent]); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(c)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer before the body could have been read: %v", err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Errorf("status %d, want %d", res.StatusCode, tt.want)
			}
			if !res.Close {
				t.Errorf("answered without Connection: close (%v)", res.Header)
			}
			// The gateway ends the connection: EOF, not our deadline.
			if _, err := br.ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("the connection was not closed after the refusal: %v", err)
			}
		})
	}
	// Each connection was closed unread, and none is left open.
	awaitMetric(t, srv, "http_connections_closed_unread_total", "ipack_gateway_http_connections_closed_unread_total "+strconv.Itoa(len(tests)))
	awaitMetric(t, srv, "http_connections", "ipack_gateway_http_connections 0")
}

// TestReadBodyKeepsConnection: a request whose body was read keeps its
// connection, refused or not, and so does a refused request without a
// body: only an unread body ends it.
func TestReadBodyKeepsConnection(t *testing.T) {
	srv, _ := newServer(t, envOptions{})
	var base string
	serve(t, srv, &base)
	addr := strings.TrimPrefix(base, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	const body = `{"query":"{ __typename }"}`
	requests := []struct {
		name, req string
		want      int
	}{
		{"a query", "POST /graphql HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nSPACE_GUID: " + testSpace +
			"\r\nAuthorization: Bearer " + testToken + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body, 200},
		{"a query that is not JSON", "POST /graphql HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nSPACE_GUID: " + testSpace +
			"\r\nAuthorization: Bearer " + testToken + "\r\nContent-Length: 3\r\n\r\n{{{", 400},
		{"a bad token without a body", "GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: gw\r\nSPACE_GUID: " + testSpace +
			"\r\nAuthorization: Bearer wrong\r\n\r\n", 401},
		{"a chunked query", "POST /graphql HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nSPACE_GUID: " + testSpace +
			"\r\nAuthorization: Bearer " + testToken + "\r\nTransfer-Encoding: chunked\r\n\r\n" +
			strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n", 200},
	}
	for _, r := range requests {
		if _, err := io.WriteString(c, r.req); err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != r.want || res.Close {
			t.Errorf("%s: %d, close %v; want %d on a connection kept alive", r.name, res.StatusCode, res.Close, r.want)
		}
	}
}
