package ids_test

import (
	"testing"

	"github.com/ipack-gateway/ipack-gateway/ids"
)

// The id codec runs for every environment of every attach: once to check
// the instance id, once to build each attachment id.

func BenchmarkParseInstance(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ids.ParseInstance(seedInstance); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAttachment(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if ids.Attachment(seedInstance, seedEnv) != seedAttachment {
			b.Fatal("wrong id")
		}
	}
}

func BenchmarkParseAttachment(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ids.ParseAttachment(seedAttachment); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateEnvironment(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := ids.ValidateEnvironment(seedEnv); err != nil {
			b.Fatal(err)
		}
	}
}
