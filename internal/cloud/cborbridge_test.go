package cloud_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"
)

// cborBridge fronts the emulator for CloudWatch: the Go SDK speaks Smithy
// RPCv2 CBOR to CloudWatch, which moto 5 does not parse, but moto serves
// CloudWatch's JSON protocol. The bridge only re-encodes each request and
// answer (CBOR <-> JSON); moto stores and computes everything.
func cborBridge(t *testing.T, moto string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := bridge(w, r, moto); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func bridge(w http.ResponseWriter, r *http.Request, moto string) error {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return err
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	in := any(map[string]any{})
	if len(raw) > 0 {
		v, err := cbor.Decode(raw)
		if err != nil {
			return fmt.Errorf("decode cbor: %w", err)
		}
		in = fromCBOR(v)
	}
	js, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, moto+"/", bytes.NewReader(js))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801."+path.Base(r.URL.Path))
	req.Header.Set("Authorization", r.Header.Get("Authorization")) // moto routes by the signing scope
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var v any
	if len(bytes.TrimSpace(out)) > 0 {
		d := json.NewDecoder(bytes.NewReader(out))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return fmt.Errorf("moto answered %s: %s", resp.Status, out)
		}
	}
	if m, ok := v.(map[string]any); ok && resp.StatusCode >= 300 {
		if typ, ok := m["__type"].(string); ok {
			m["__type"] = "com.amazonaws.cloudwatch#" + path.Base(typ)
		}
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(resp.StatusCode)
	_, err = w.Write(cbor.Encode(toCBOR("", v)))
	return err
}

func fromCBOR(v cbor.Value) any {
	switch x := v.(type) {
	case cbor.Uint:
		return uint64(x)
	case cbor.NegInt:
		return -int64(x)
	case cbor.String:
		return string(x)
	case cbor.Slice:
		return []byte(x)
	case cbor.Bool:
		return bool(x)
	case cbor.Float32:
		return float64(x)
	case cbor.Float64:
		return float64(x)
	case *cbor.Tag:
		return fromCBOR(x.Value) // epoch timestamps: JSON wants the number
	case cbor.List:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromCBOR(e)
		}
		return out
	case cbor.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = fromCBOR(e)
		}
		return out
	}
	return nil
}

// toCBOR converts moto's JSON answer; key names a timestamp field (epoch
// seconds in JSON, tag 1 in CBOR).
func toCBOR(key string, v any) cbor.Value {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		if key == "Timestamps" || key == "Timestamp" {
			return &cbor.Tag{ID: 1, Value: cbor.Float64(f)}
		}
		if i, err := x.Int64(); err == nil {
			if i < 0 {
				return cbor.NegInt(-i)
			}
			return cbor.Uint(i)
		}
		return cbor.Float64(f)
	case string:
		return cbor.String(x)
	case bool:
		return cbor.Bool(x)
	case []any:
		out := make(cbor.List, len(x))
		for i, e := range x {
			out[i] = toCBOR(key, e)
		}
		return out
	case map[string]any:
		out := make(cbor.Map, len(x))
		for k, e := range x {
			out[k] = toCBOR(k, e)
		}
		return out
	}
	return &cbor.Nil{}
}
