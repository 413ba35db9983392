package client

import (
	"bytes"
	"encoding/json"
	"io"
)

// jsonBody is an optional JSON request body.
type jsonBody struct{ b []byte }

func newJSONBody(v any) *jsonBody {
	b, _ := json.Marshal(v)
	return &jsonBody{b: b}
}

func (j *jsonBody) reader() io.Reader {
	if j == nil {
		return nil
	}
	return bytes.NewReader(j.b)
}
