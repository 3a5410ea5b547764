package clientaddr_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/gateway/clientaddr"
)

func TestAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:1::/48"), netip.MustParsePrefix("127.0.0.1/32")}
	xff, err := clientaddr.New(proxies, "X-Forwarded-For")
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := clientaddr.New(proxies, "Forwarded")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		r      *clientaddr.Resolver
		remote string
		header http.Header
		want   string
	}{
		{"no proxy trusted: the header is ignored", nil, "192.0.2.1:1234", http.Header{"X-Forwarded-For": {"198.51.100.7"}}, "192.0.2.1"},
		{"an untrusted peer's header is ignored", xff, "192.0.2.1:1234", http.Header{"X-Forwarded-For": {"198.51.100.7"}}, "192.0.2.1"},
		{"through one proxy", xff, "10.1.2.3:1234", http.Header{"X-Forwarded-For": {"198.51.100.7"}}, "198.51.100.7"},
		{"a client's own entries are left of the one the proxy appended", xff, "10.1.2.3:1234", http.Header{"X-Forwarded-For": {"203.0.113.9, 10.9.9.9, 198.51.100.7"}}, "198.51.100.7"},
		{"through two proxies", xff, "10.1.2.3:1234", http.Header{"X-Forwarded-For": {"198.51.100.7, 10.4.5.6"}}, "198.51.100.7"},
		{"header lines are one list", xff, "10.1.2.3:1234", http.Header{"X-Forwarded-For": {"203.0.113.9", "198.51.100.7, 10.4.5.6"}}, "198.51.100.7"},
		{"only proxies: the peer", xff, "10.1.2.3:1234", http.Header{"X-Forwarded-For": {"10.4.5.6"}}, "10.1.2.3"},
		{"no header: the peer", xff, "10.1.2.3:1234", nil, "10.1.2.3"},
		{"garbage where the client should be: the peer", xff, "10.1.2.3:1234", http.Header{"X-Forwarded-For": {"198.51.100.7, not-an-ip"}}, "10.1.2.3"},
		{"an IPv4-mapped IPv6 peer", xff, "[::ffff:10.1.2.3]:1234", http.Header{"X-Forwarded-For": {"198.51.100.7"}}, "198.51.100.7"},
		{"IPv6 through an IPv6 proxy", xff, "[2001:db8:1::5]:1234", http.Header{"X-Forwarded-For": {"2001:db8:2::7"}}, "2001:db8:2::7"},
		{"a zone is dropped", xff, "[2001:db8:1::5]:1234", http.Header{"X-Forwarded-For": {"fe80::1%eth0"}}, "fe80::1"},
		{"Forwarded", fwd, "127.0.0.1:1234", http.Header{"Forwarded": {`for=203.0.113.9, for="[2001:db8:2::7]:4711";proto=https`}}, "2001:db8:2::7"},
		{"Forwarded ignores X-Forwarded-For", fwd, "127.0.0.1:1234", http.Header{"X-Forwarded-For": {"198.51.100.7"}}, "127.0.0.1"},
		{"a client's 40 entries of its own are not read", xff, "10.1.2.3:1234", http.Header{"X-Forwarded-For": {strings.Repeat("garbage, ", 40) + "198.51.100.7"}}, "198.51.100.7"},
		{"the client 16th from the right, behind 15 proxies", xff, "10.1.2.3:1234", http.Header{"X-Forwarded-For": {"203.0.113.9, 198.51.100.7" + strings.Repeat(", 10.0.0.1", 15)}}, "198.51.100.7"},
		{"behind 16 proxies: not read, the peer", xff, "10.1.2.3:1234", http.Header{"X-Forwarded-For": {"198.51.100.7" + strings.Repeat(", 10.0.0.1", 16)}}, "10.1.2.3"},
		{"entries counted across lines", xff, "10.1.2.3:1234", http.Header{"X-Forwarded-For": {"198.51.100.7", strings.Repeat("10.0.0.1, ", 14) + "10.0.0.1"}}, "198.51.100.7"},
		{"not an IP peer", xff, "@", nil, "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &http.Request{RemoteAddr: tt.remote, Header: tt.header}
			if got := tt.r.Addr(req).String(); got != tt.want {
				t.Errorf("Addr = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	if r, err := clientaddr.New(nil, "X-Forwarded-For"); r != nil || err != nil {
		t.Errorf("no proxies: %v, %v; want nil, nil", r, err)
	}
	if _, err := clientaddr.New([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "X-Real-IP"); err == nil {
		t.Error("X-Real-IP accepted: a single-address header lets the client choose")
	}
	r, err := clientaddr.New([]netip.Prefix{netip.MustParsePrefix("10.0.0.1/8")}, "x-forwarded-for")
	if err != nil {
		t.Fatal(err)
	}
	for a, want := range map[string]bool{"10.200.0.1": true, "::ffff:10.0.0.2": true, "11.0.0.1": false} {
		if got := r.Trusted(netip.MustParseAddr(a)); got != want {
			t.Errorf("Trusted(%s) = %v, want %v", a, got, want)
		}
	}
}

// BenchmarkAddr: the cost of a request's address through a trusted proxy,
// with a short header and with the longest a client can make it (the
// server's 64 KiB of headers, all of it entries of its own).
func BenchmarkAddr(b *testing.B) {
	r, err := clientaddr.New([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "X-Forwarded-For")
	if err != nil {
		b.Fatal(err)
	}
	long := strings.Repeat("1.2.3.4,", 64<<10/8-2) + "198.51.100.7"
	for _, bc := range []struct{ name, xff string }{{"short", "203.0.113.9, 198.51.100.7"}, {"64KiB", long}} {
		req := &http.Request{RemoteAddr: "10.1.2.3:1234", Header: http.Header{"X-Forwarded-For": {bc.xff}}}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r.Addr(req).String() != "198.51.100.7" {
					b.Fatal("wrong address")
				}
			}
		})
	}
}
