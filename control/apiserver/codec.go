package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/wk-project/wk/control/api"
	"github.com/wk-project/wk/control/store"
)

// fromKV decodes a stored object and stamps its resourceVersion.
func fromKV(k *api.Kind, kv store.KV) (api.Object, error) {
	obj := k.New()
	if err := json.Unmarshal(kv.Value, obj); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	api.SetTypeMeta(obj)
	obj.GetObjectMeta().ResourceVersion = strconv.FormatInt(kv.Rev, 10)
	return obj, nil
}

// stored is obj, just written as kv, with the revision stamped: the object the store now holds
// (decoding kv.Value would give it back), without decoding it again. obj must be the server's own.
func stored(obj api.Object, kv store.KV) api.Object {
	obj.GetObjectMeta().ResourceVersion = strconv.FormatInt(kv.Rev, 10)
	return obj
}

// toValue encodes an object for the store; the revision lives in the store, not in the value.
func toValue(obj api.Object) ([]byte, error) {
	m := obj.GetObjectMeta()
	rv := m.ResourceVersion
	m.ResourceVersion = ""
	defer func() { m.ResourceVersion = rv }()
	api.SetTypeMeta(obj)
	return json.Marshal(obj)
}

// readBody reads a request body of at most max bytes.
func readBody(r *http.Request, max int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, api.NewStatusError(http.StatusRequestEntityTooLarge, api.ReasonTooLarge, "the request body is larger than %d bytes", max)
		}
		return nil, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "read request body: %v", err)
	}
	return body, nil
}

// readObject reads a request body of at most max bytes and decodes it strictly as kind k.
func readObject(r *http.Request, k *api.Kind, max int64) (api.Object, error) {
	body, err := readBody(r, max)
	if err != nil {
		return nil, err
	}
	obj, err := api.DecodeObject(body)
	if err != nil {
		var el api.ErrorList
		if errors.As(err, &el) {
			return nil, api.NewInvalid(k, "", el)
		}
		return nil, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "decode %s: %v", k.Kind, err)
	}
	if got := api.KindOf(obj); got != k {
		return nil, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest,
			"the body is a %s, but the path is for %s", obj.GetTypeMeta().Kind, k.Resource)
	}
	return obj, nil
}

// rev parses a resourceVersion; "" is 0.
func rev(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, api.NewStatusError(http.StatusBadRequest, api.ReasonBadRequest, "invalid resourceVersion %q", s)
	}
	return n, nil
}
