package main

import (
	"encoding/json"
	"fmt"
)

// decodeEnvelope decodes a JSON document of --format json and its result
// into result.
func decodeEnvelope(stdout string, result any) (jsonEnvelope, error) {
	var env jsonEnvelope
	var raw json.RawMessage
	env.Result = &raw
	if err := json.Unmarshal([]byte(stdout), &env); err != nil {
		return env, err
	}
	if len(raw) == 0 || string(raw) == "null" {
		return env, fmt.Errorf("the result is null")
	}
	return env, json.Unmarshal(raw, result)
}
