package gateway

import "testing"

func TestMaxConnectionsFor(t *testing.T) {
	tests := []struct {
		nofile uint64
		want   int
	}{
		{0, MaxConnectionsCap},       // unknown
		{1 << 20, MaxConnectionsCap}, // the usual hard limit, raised to by Go
		{20000, MaxConnectionsCap},
		{4096, 4096 - 512}, // room for upstream connections and files
		{1024, 512},
		{256, 128}, // a tiny limit is shared
		{1, 1},
	}
	for _, tt := range tests {
		if got := maxConnectionsFor(tt.nofile); got != tt.want {
			t.Errorf("maxConnectionsFor(%d) = %d, want %d", tt.nofile, got, tt.want)
		}
	}
}
