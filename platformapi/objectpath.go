package platformapi

import (
	"errors"
	"net/url"
)

// ErrBadID is wrapped by the error of a call on an object id that cannot
// be one path segment: "", "." or "..", which a server would read as the
// object's collection or as a step up the path. Such a call is not sent.
var ErrBadID = errors.New(`platformapi: an object id must not be empty, "." or ".."`)

// updateSuffix is the path after an object's id for UPDATE. The vendor's
// OpenAPI gives POST /{Object}/{id}; the Spaces documentation and the
// vendor's own CI scripts use POST /{Object}/{id}/update. Inferred: both
// are served; the gateway sends the form the Spaces documentation names,
// changed here only.
const updateSuffix = "/update"

// idPath is the path of object id, {object}/{id}: the one place an id is
// put into a path. The id is one segment, escaped where it must be
// (url.PathEscape leaves the vendor's ids, GUIDs and unpadded base64, as
// they are, as its client libraries send them); an id that is no segment
// fails with ErrBadID, marked not sent, for method.
func idPath(method, object, id string) (string, error) {
	if id == "" || id == "." || id == ".." {
		return "", &Error{Method: method, Object: object, NotSent: true, Err: ErrBadID}
	}
	return object + "/" + url.PathEscape(id), nil
}

// updatePath is the path of the REST UPDATE of object id (see
// updateSuffix).
func updatePath(object, id string) (string, error) {
	p, err := idPath("POST", object, id)
	return p + updateSuffix, err
}
