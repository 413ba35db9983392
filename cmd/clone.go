package cmd

import (
	"encoding/json"

	"github.com/wk-project/wk/control/api"
)

// cloneForCheck deep-copies an object so that defaulting it for a check leaves the original as written.
func cloneForCheck(obj api.Object) api.Object {
	c := api.KindOf(obj).New()
	b, _ := json.Marshal(obj)
	json.Unmarshal(b, c)
	return c
}
