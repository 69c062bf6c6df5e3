package apperr_test

import (
	"encoding/json"
	"testing"

	"github.com/crumbcommander/crumb/internal/apperr"
)

func TestCheckText(t *testing.T) {
	type inner struct {
		Notes *string `json:"notes"`
	}
	type body struct {
		Name   string            `json:"name"`
		Tags   []string          `json:"tags"`
		Shifts []inner           `json:"shifts"`
		Extra  map[string]string `json:"extra"`
		Raw    json.RawMessage   `json:"raw"`
		inner
	}
	tests := []struct {
		desc  string
		json  string
		field string // "" = accepted
	}{
		{desc: "plain text", json: `{"name":"Zoë's Bäckerei – עברית","tags":["a"],"notes":"ok"}`},
		{desc: "NUL", json: `{"name":"a\u0000b"}`, field: "name"},
		{desc: "override", json: `{"name":"a\u202eb"}`, field: "name"},
		{desc: "embedding", json: `{"name":"\u202a"}`, field: "name"},
		{desc: "isolate", json: `{"tags":["ok","\u2066x"]}`, field: "tags[1]"},
		{desc: "pop isolate", json: `{"shifts":[{"notes":"\u2069"}]}`, field: "shifts[0].notes"},
		{desc: "embedded struct", json: `{"notes":"\u202d"}`, field: "notes"},
		{desc: "map value", json: `{"extra":{"k":"\u202c"}}`, field: "extra.k"},
		{desc: "left-to-right mark is fine", json: `{"name":"a\u200eb"}`},
		{desc: "raw JSON is not text", json: `{"raw":"\u202e"}`},
	}
	for _, tc := range tests {
		var b body
		if err := json.Unmarshal([]byte(tc.json), &b); err != nil {
			t.Fatalf("%s: %v", tc.desc, err)
		}
		err := apperr.CheckText(&b)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.desc, err)
			}
			continue
		}
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.ValidationFailed || e.Fields[tc.field] != apperr.UnsafeText {
			t.Errorf("%s: %v, want 422 on %s", tc.desc, err, tc.field)
		}
	}
}
