package workflow

import (
	"encoding/json"
	"math"
)

// asInt reads a whole number from a decoded JSON value (json.Number when the
// body was decoded with UseNumber, float64 or int otherwise).
func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}
