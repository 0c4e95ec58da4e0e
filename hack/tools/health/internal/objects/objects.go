// Package objects reads Kubernetes objects the way kubectl prints them: JSON or YAML, one
// object, several YAML documents, or a List whose items are the objects.
package objects

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/yaml"
)

// Read returns every object in r, Lists unwrapped into their items, in order.
func Read(r io.Reader) ([]map[string]any, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for i, doc := range splitDocuments(data) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d is neither JSON nor YAML: %w", i+1, err)
		}
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			return nil, fmt.Errorf("document %d is not an object: %w", i+1, err)
		}
		obj, _ = numbers(obj).(map[string]any)
		if obj == nil {
			continue
		}
		out = append(out, unwrapList(obj)...)
	}
	return out, nil
}

// numbers turns JSON numbers into int64 where they are integers (what apimachinery's accessors
// expect, as its own decoder does) and float64 otherwise.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = numbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = numbers(x[k])
		}
	}
	return v
}

func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimRight(line, " \t\r") == "---" {
			docs = append(docs, []byte(strings.Join(cur, "\n")))
			cur = nil
			continue
		}
		cur = append(cur, line)
	}
	return append(docs, []byte(strings.Join(cur, "\n")))
}

func unwrapList(obj map[string]any) []map[string]any {
	kind, _ := obj["kind"].(string)
	items, isList := obj["items"].([]any)
	if !isList || !strings.HasSuffix(kind, "List") {
		return []map[string]any{obj}
	}
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// Name is kind/namespace/name, for the output lines.
func Name(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	kind, _ := obj["kind"].(string)
	ns, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	if ns == "" {
		return kind + "/" + name
	}
	return kind + "/" + ns + "/" + name
}
