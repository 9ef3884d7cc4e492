package parse

import gojson "github.com/goccy/go-json"

// The JSON decoding of bodies: goccy/go-json, several times faster than
// encoding/json on vendor bodies, with the same results
// (FuzzParseMatchesStdlib swaps encoding/json in and compares). Variables
// so that the fuzz test can.
var (
	unmarshal = gojson.Unmarshal
	valid     = gojson.Valid
)
