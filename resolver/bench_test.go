package resolver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// echoPlatform creates every attachment asked for, at once.
var echoPlatform = &fakePlatform{create: echo("")}

const benchInstance = "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng" // instance 34486, from the vendor's sample

// attachQuery is the vendor's attach sample with n environments, as
// clients send it: arguments inline, every field selected.
func attachQuery(n int) string {
	envs := make([]string, n)
	for i := range envs {
		envs[i] = fmt.Sprintf(`\"00000000-0000-4000-8000-%012d\"`, i+1)
	}
	q := `mutation attachIpackInstance { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: "` + benchInstance + `", environmentIds: [` + strings.Join(envs, ", ") + `]}) { id environmentId integrationPackInstanceId environmentExtensions } }`
	return strings.ReplaceAll(q, `\"`, `"`)
}

func benchSchema(b *testing.B, p resolver.Platform) *graphql.Schema {
	b.Helper()
	s, err := resolver.NewSchema(resolver.New(p, resolver.Options{}), nil, graphql.MaxDepth(12), graphql.MaxQueryLength(64<<10))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

var benchCtx = resolver.WithAccount(context.Background(), platformapi.Account{ID: "acme-A1B2C3"})

// BenchmarkValidateAttach is graphql-go's parse and validate of the
// vendor's attach sample, which Schema.Exec repeats for every request.
func BenchmarkValidateAttach(b *testing.B) {
	s := benchSchema(b, echoPlatform)
	q := attachQuery(1)
	b.ReportAllocs()
	for b.Loop() {
		if errs := s.Validate(q); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

// BenchmarkExecAttach is a whole attach through graphql-go and the
// resolvers, against a platform that answers at once: parse, validate,
// fan-out, id encoding and the JSON of the response.
func BenchmarkExecAttach(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("envs=%d", n), func(b *testing.B) {
			s := benchSchema(b, echoPlatform)
			q := attachQuery(n)
			b.ReportAllocs()
			for b.Loop() {
				resp := s.Exec(benchCtx, q, "", nil)
				if len(resp.Errors) > 0 {
					b.Fatal(resp.Errors)
				}
			}
		})
	}
}

// BenchmarkExecAttachVariables is attach(1) with its input in variables,
// the other way clients send it.
func BenchmarkExecAttachVariables(b *testing.B) {
	s := benchSchema(b, echoPlatform)
	q := `mutation attach($input: IntegrationPackEnvironmentAttachmentInput!) { integrationPackInstanceEnvironmentAttachmentAttach(input: $input) { id environmentId integrationPackInstanceId environmentExtensions } }`
	b.ReportAllocs()
	for b.Loop() {
		vars := map[string]any{"input": map[string]any{"integrationPackInstanceId": benchInstance, "environmentIds": []any{"86b413a8-1ebf-4c95-bc5b-139573b77910"}}}
		resp := s.Exec(benchCtx, q, "", vars)
		if len(resp.Errors) > 0 {
			b.Fatal(resp.Errors)
		}
	}
}
