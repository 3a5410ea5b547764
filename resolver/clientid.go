package resolver

import (
	"fmt"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// MaxIDBytes bounds an id that a client passes on to REST. The vendor's
// longest ids (base64 of "<environmentId>:<extensionGroupId>:<processId>:
// <mapId>", about 170 characters) fit with room to spare.
const MaxIDBytes = 256

// checkID checks an id that the client sends and the gateway puts into a
// REST path, filter or body (envExtensionId, processSchedulesId, atomId,
// processId): 1 to MaxIDBytes of ASCII letters, digits and - _ = : . +,
// and not "." or "..", which a server would take for a step in the path.
// The vendor's ids (GUIDs; unpadded base64 of text made of hex digits,
// letters, '-' and ':') always pass. It answers BAD_USER_INPUT naming arg,
// or nil; a refused id is never sent, so no REST call is made for it.
func checkID(arg, id string) *errcode.Error {
	bad := func(why string) *errcode.Error {
		return errcode.New(errcode.BadUserInput, fmt.Sprintf("%s %q is not a valid id: %s", arg, truncate(id), why)).With("argument", arg)
	}
	switch {
	case id == "":
		return errcode.New(errcode.BadUserInput, arg+" is required").With("argument", arg)
	case len(id) > MaxIDBytes:
		return bad(fmt.Sprintf("longer than %d bytes", MaxIDBytes))
	case id == "." || id == "..":
		return bad(`"." and ".." are not ids`)
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return bad("only letters, digits and - _ = : . + are allowed")
		}
	}
	return nil
}

// idByte reports whether c may appear in an id (see checkID).
func idByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '_', '=', ':', '.', '+':
		return true
	}
	return false
}
