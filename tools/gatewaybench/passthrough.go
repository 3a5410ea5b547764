package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

// The pass-through proxy is the floor under any gateway on this machine:
// an HTTP server that answers each request by making the REST CREATE of
// attach(1) upstream with an HTTP client, and nothing else: no GraphQL,
// no authentication, no logging, no retries. What the gateway costs
// beyond it is the gateway's own work; what it costs over direct REST is
// the price of any extra HTTP hop. The benchmark runs it as a process of
// its own by starting itself with -internal-passthrough.

// servePassthrough serves on listen, forwarding to the simulator at
// upstream, until ctx ends.
func servePassthrough(ctx context.Context, listen, upstream string) error {
	body, _ := json.Marshal(map[string]string{"integrationPackInstanceId": benchInstance, "environmentId": simulator.DemoEnvironment(1)})
	url := upstream + "/" + simulator.DemoAccountID + "/IntegrationPackEnvironmentAttachment"
	header := http.Header{
		"Content-Type":  {"application/json"},
		"Accept":        {"application/json"},
		"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(simulator.DemoUsername+":"+simulator.DemoPassword))},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("POST /graphql", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.Header = header.Clone()
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"`+attachName+`":[`)
		_, _ = io.Copy(w, resp.Body)
		_, _ = io.WriteString(w, `]}}`)
	})
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
