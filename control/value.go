package control

import (
	"encoding/json"

	"github.com/wk-project/wk/control/api"
)

// jsonValue encodes an object as the store keeps it.
func jsonValue(obj api.Object) ([]byte, error) {
	api.SetTypeMeta(obj)
	return json.Marshal(obj)
}
