package admission

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// failingBody yields data, then fails with err.
type failingBody struct {
	data []byte
	err  error
}

func (b *failingBody) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, b.err
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

func (b *failingBody) Close() error { return nil }

// TestPrefetch: a body read ahead reads as the body itself would: the same
// bytes, the same end, the same error after the same bytes, and past the
// limit the rest still comes from the body.
func TestPrefetch(t *testing.T) {
	broken := errors.New("connection reset")
	tests := []struct {
		name    string
		body    func() io.ReadCloser
		limit   int64
		want    string
		wantErr error
	}{
		{"short body", func() io.ReadCloser { return io.NopCloser(strings.NewReader("hello")) }, 10, "hello", nil},
		{"body at the limit", func() io.ReadCloser { return io.NopCloser(strings.NewReader("0123456789")) }, 10, "0123456789", nil},
		{"body past the limit", func() io.ReadCloser { return io.NopCloser(strings.NewReader("0123456789abcdef")) }, 10, "0123456789abcdef", nil},
		{"error while read ahead", func() io.ReadCloser { return &failingBody{[]byte("par"), broken} }, 10, "par", broken},
		{"error after the limit", func() io.ReadCloser { return &failingBody{[]byte("0123456789abc"), broken} }, 4, "0123456789abc", broken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Unknown length (chunked), the length the body has, and a
			// declared length longer or shorter than the body.
			for _, length := range []int64{-1, int64(len(tt.want)), int64(len(tt.want)) + 3, 2} {
				body, over := Prefetch(tt.body(), length, tt.limit)
				got, err := io.ReadAll(body)
				wantErr := tt.wantErr
				if wantErr == nil && length > int64(len(tt.want)) && length <= tt.limit {
					// Read whole: shorter than declared, as net/http says.
					wantErr = io.ErrUnexpectedEOF
				}
				if string(got) != tt.want || !errors.Is(err, wantErr) {
					t.Errorf("length %d: read %q, %v; want %q, %v", length, got, err, tt.want, wantErr)
				}
				if wantOver := int64(len(tt.want)) > tt.limit && (length < 0 || length > tt.limit); over != wantOver {
					t.Errorf("length %d: over the limit %v, want %v", length, over, wantOver)
				}
			}
		})
	}
	if body, _ := Prefetch(http.NoBody, 0, 10); body != http.NoBody {
		t.Error("an empty body is not left as it is")
	}
}
