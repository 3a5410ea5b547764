package resolver

import "github.com/ipack-gateway/ipack-gateway/errcode"

// Arguments whose nullability the vendor's docs do not show are declared
// nullable in the schema, so that a client's variable validates whether it
// was declared T or T!; the resolver refuses null itself.

// errNullInput is the error of a null input argument.
func errNullInput() *errcode.Error {
	return errcode.New(errcode.BadUserInput, "input must not be null").With("argument", "input")
}
