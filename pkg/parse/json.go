package parse

import gojson "github.com/goccy/go-json"

// The JSON decoder, for what the scanner (scan.go) leaves to it: text it
// cannot vouch for (invalid or cut short, nested too deep), keys and strings
// with escapes or non-ASCII bytes, and the validity of a body the scanner
// rejected. goccy/go-json, several times faster than encoding/json on vendor
// bodies, with the same results (FuzzParseMatchesStdlib swaps encoding/json
// in and compares, under Parse and under parseReference, which decodes every
// object through these). Variables so that the fuzz test can.
var (
	unmarshal = gojson.Unmarshal
	valid     = gojson.Valid
)
