// Command schemagen writes the simulator's "type schema" of built-in
// Kubernetes kinds: for every message type reachable from the kinds listed in
// kinds.go, each field's JSON name, protobuf field number and type, and its
// strategic-merge-patch metadata. It reads all of this from the Go types of
// k8s.io/api, k8s.io/apimachinery and k8s.io/apiextensions-apiserver by
// reflection (their `protobuf`, `json`, `patchStrategy` and `patchMergeKey`
// struct tags), so the schema follows the pinned module versions exactly.
//
// The format is documented in src/simulator/schema/README.md. Run it through
// hack/schemagen/generate.sh, which writes src/simulator/schema/kube-types.json.
package main

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// SchemaFormatVersion changes when the JSON layout changes incompatibly; the
// TypeScript loader refuses a schema with a version it does not know.
const SchemaFormatVersion = 1

// Field is one protobuf field of a message, as written to the JSON schema.
// Zero values are left out of the JSON to keep the file small.
type Field struct {
	Name          string `json:"name"`
	Number        int    `json:"number"`
	Type          string `json:"type"`
	Ref           string `json:"ref,omitempty"`
	Repeated      bool   `json:"repeated,omitempty"`
	Key           string `json:"key,omitempty"`
	Value         string `json:"value,omitempty"`
	Inline        bool   `json:"inline,omitempty"`
	Pointer       bool   `json:"pointer,omitempty"`
	OmitEmpty     bool   `json:"omitempty,omitempty"`
	PatchStrategy string `json:"patchStrategy,omitempty"`
	PatchMergeKey string `json:"patchMergeKey,omitempty"`
}

// Message is one message type. Format is set for the types whose JSON form
// is not an object of their fields (times, quantities, int-or-string, ...).
type Message struct {
	Format string  `json:"format,omitempty"`
	Fields []Field `json:"fields"`
}

// generator walks Go types and collects the messages they need.
type generator struct {
	// messages is keyed by type name; a type is entered before its fields
	// are walked, which ends recursion through self-referring types
	// (apiextensions JSONSchemaProps).
	messages map[string]*Message
	warnings []string
}

func main() {
	kinds, messages, warnings := generate()
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "schemagen: warning:", w)
	}
	if err := write(os.Stdout, kinds, messages); err != nil {
		fail("writing schema: %v", err)
	}
}

// generate reflects the schema: apiVersion -> kind -> message name, and
// the messages by name.
func generate() (map[string]map[string]string, map[string]*Message, []string) {
	scheme := runtime.NewScheme()
	for _, add := range schemeBuilders {
		if err := add(scheme); err != nil {
			fail("registering types: %v", err)
		}
	}
	g := &generator{messages: map[string]*Message{}}
	kinds := map[string]map[string]string{}
	for _, gv := range roots {
		apiVersion := gv.GroupVersion.String()
		known := scheme.KnownTypes(gv.GroupVersion)
		byKind := map[string]string{}
		for _, kind := range gv.Kinds {
			for _, k := range []string{kind, kind + "List"} {
				t, ok := known[k]
				if !ok {
					if k == kind {
						fail("%s %s is not registered in the scheme", apiVersion, kind)
					}
					continue
				}
				byKind[k] = g.message(t)
			}
		}
		kinds[apiVersion] = byKind
	}
	// kube-apiserver accepts DeleteOptions under every group version it
	// serves (clients send it in their own group's version), and under
	// meta.k8s.io/v1.
	deleteOptions := g.message(reflect.TypeOf(deleteOptionsType))
	for _, byKind := range kinds {
		byKind["DeleteOptions"] = deleteOptions
	}
	kinds[schema.GroupVersion{Group: "meta.k8s.io", Version: "v1"}.String()] = map[string]string{"DeleteOptions": deleteOptions}
	return kinds, g.messages, g.warnings
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "schemagen: "+format+"\n", args...)
	os.Exit(1)
}

// typeName names a Go type the way Kubernetes' OpenAPI documents do:
// k8s.io/api/core/v1.Pod -> io.k8s.api.core.v1.Pod.
func typeName(t reflect.Type) string {
	path := t.PkgPath()
	host, rest, _ := strings.Cut(path, "/")
	hostParts := strings.Split(host, ".")
	for i, j := 0, len(hostParts)-1; i < j; i, j = i+1, j-1 {
		hostParts[i], hostParts[j] = hostParts[j], hostParts[i]
	}
	return strings.Join(hostParts, ".") + "." + strings.ReplaceAll(rest, "/", ".") + "." + t.Name()
}

// message returns the schema name of struct type t, adding it (and every
// type it reaches) to the schema on first sight.
func (g *generator) message(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := typeName(t)
	if _, seen := g.messages[name]; seen {
		return name
	}
	if s, ok := specials[t.PkgPath()+"."+t.Name()]; ok {
		m := &Message{Format: s.format, Fields: s.fields}
		g.messages[name] = m
		if s.walk {
			// Fields are reflected like any struct; only the JSON form differs.
			m.Fields = g.fields(t, true)
		}
		return name
	}
	if t.Kind() == reflect.Slice {
		// A named slice used where protobuf needs a message (a map value,
		// e.g. certificates/v1 ExtraValue) is a message with one repeated
		// field "items"; its JSON form is the bare array.
		m := &Message{Format: "items"}
		g.messages[name] = m
		f := Field{Name: "items", Number: 1, Repeated: true}
		g.setElement(&f, t.Elem(), "bytes", name+".items")
		m.Fields = []Field{f}
		return name
	}
	if t.Kind() != reflect.Struct {
		fail("%s is a %s, not a struct: cannot be a protobuf message", name, t.Kind())
	}
	m := &Message{}
	g.messages[name] = m
	m.Fields = g.fields(t, false)
	return name
}

// fields reflects the protobuf fields of struct t. useProtoNames names
// fields by their protobuf name (for special types without JSON tags).
func (g *generator) fields(t reflect.Type, useProtoNames bool) []Field {
	where := typeName(t)
	var out []Field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		ptag := sf.Tag.Get("protobuf")
		jsonName, jsonOpts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if ptag == "" || ptag == "-" {
			// Embedded TypeMeta carries apiVersion/kind in JSON only; the
			// protobuf envelope carries them instead.
			if !(sf.Anonymous && sf.Type.Name() == "TypeMeta") && jsonName != "-" {
				g.warnings = append(g.warnings, fmt.Sprintf("%s.%s has no protobuf tag; left out", where, sf.Name))
			}
			continue
		}
		tag := parseProtoTag(ptag, where+"."+sf.Name)
		f := Field{Number: tag.number}
		opts := "," + jsonOpts + ","
		f.OmitEmpty = strings.Contains(opts, ",omitempty,")
		f.Inline = sf.Anonymous && strings.Contains(opts, ",inline,")
		switch {
		case f.Inline:
			f.Name = ""
		case useProtoNames && jsonName == "":
			f.Name = tag.name
		case jsonName == "-":
			g.warnings = append(g.warnings, fmt.Sprintf("%s.%s is json:\"-\" but has protobuf field %d; left out", where, sf.Name, tag.number))
			continue
		case jsonName == "":
			f.Name = sf.Name
		default:
			f.Name = jsonName
		}
		f.PatchStrategy = sf.Tag.Get("patchStrategy")
		f.PatchMergeKey = sf.Tag.Get("patchMergeKey")

		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			f.Pointer = true
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Map:
			f.Type = "map"
			// Map entries are messages {1: key, 2: value}; the Go types
			// carry no tags for them, so the wire follows from the Go type.
			f.Key = scalarType(defaultWire(ft.Key()), ft.Key(), where+"."+sf.Name+" key")
			vt := ft.Elem()
			switch {
			case isBytes(vt):
				f.Value = "bytes"
			case vt.Kind() == reflect.Struct || vt.Kind() == reflect.Slice || vt.Kind() == reflect.Pointer:
				f.Value = "message"
				f.Ref = g.message(vt)
			default:
				f.Value = scalarType(defaultWire(vt), vt, where+"."+sf.Name+" value")
			}
		case ft.Kind() == reflect.Slice && !isBytes(ft):
			// The Go type decides, not the tag's label: several slices are
			// tagged "opt" (core/v1 NodeSpec.podCIDRs) yet encoded as repeated.
			// A named slice here (apiextensions ValidationRules) is a plain
			// repeated field too; only as a map value does it need a wrapper.
			f.Repeated = true
			g.setElement(&f, ft.Elem(), tag.wire, where+"."+sf.Name)
		default:
			g.setElement(&f, ft, tag.wire, where+"."+sf.Name)
		}
		out = append(out, f)
	}
	return out
}

// setElement fills in the type of a single (or each repeated) value.
func (g *generator) setElement(f *Field, t reflect.Type, wire, where string) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case isBytes(t):
		f.Type = "bytes"
	case t.Kind() == reflect.Struct:
		f.Type = "message"
		f.Ref = g.message(t)
	default:
		f.Type = scalarType(wire, t, where)
	}
}

func isBytes(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8
}

// scalarType maps a Go scalar type to its protobuf scalar type. The Go type
// decides: some struct tags name the wrong wire (meta/v1 ListMeta's
// remainingItemCount says "bytes" for an int64 that generated.proto and the
// generated code encode as a varint). The tag only picks the zigzag and fixed
// variants of integers.
func scalarType(wire string, t reflect.Type, where string) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Float64:
		return "double"
	case reflect.Float32:
		return "float"
	case reflect.Int32:
		return integerVariant(wire, "int32", "sint32", "sfixed32")
	case reflect.Int64, reflect.Int:
		return integerVariant(wire, "int64", "sint64", "sfixed64")
	case reflect.Uint32:
		return integerVariant(wire, "uint32", "uint32", "fixed32")
	case reflect.Uint64, reflect.Uint:
		return integerVariant(wire, "uint64", "uint64", "fixed64")
	}
	fail("%s: no protobuf scalar for wire %q and Go type %s", where, wire, t)
	return ""
}

func integerVariant(wire, plain, zigzag, fixed string) string {
	switch wire {
	case "zigzag32", "zigzag64":
		return zigzag
	case "fixed32", "fixed64":
		return fixed
	default:
		return plain
	}
}

// defaultWire is the wire go-to-protobuf chooses for a Go scalar type.
func defaultWire(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "bytes"
	case reflect.Float64:
		return "fixed64"
	case reflect.Float32:
		return "fixed32"
	default:
		return "varint"
	}
}

type protoTag struct {
	wire   string
	number int
	name   string
}

// parseProtoTag reads a gogo struct tag such as "bytes,2,rep,name=containers".
func parseProtoTag(tag, where string) protoTag {
	parts := strings.Split(tag, ",")
	if len(parts) < 3 {
		fail("%s: malformed protobuf tag %q", where, tag)
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n <= 0 {
		fail("%s: bad field number in protobuf tag %q", where, tag)
	}
	pt := protoTag{wire: parts[0], number: n}
	for _, p := range parts[3:] {
		if v, ok := strings.CutPrefix(p, "name="); ok {
			pt.name = v
		}
	}
	return pt
}

// write emits the schema as JSON with one field per line, sorted, so that a
// regeneration after a version bump gives a readable diff.
func write(w io.Writer, kinds map[string]map[string]string, messages map[string]*Message) error {
	var b strings.Builder
	b.WriteString("{\n")
	fmt.Fprintf(&b, "  \"formatVersion\": %d,\n", SchemaFormatVersion)
	b.WriteString("  \"generatedFrom\": {")
	for i, mod := range moduleVersions() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %s", quote(mod[0]), quote(mod[1]))
	}
	b.WriteString("},\n")
	b.WriteString("  \"kinds\": {\n")
	for i, apiVersion := range sortedKeys(kinds) {
		fmt.Fprintf(&b, "    %s: {", quote(apiVersion))
		for j, kind := range sortedKeys(kinds[apiVersion]) {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n      %s: %s", quote(kind), quote(kinds[apiVersion][kind]))
		}
		b.WriteString("\n    }" + comma(i, len(kinds)) + "\n")
	}
	b.WriteString("  },\n")
	b.WriteString("  \"types\": {\n")
	for i, name := range sortedKeys(messages) {
		m := messages[name]
		fmt.Fprintf(&b, "    %s: {", quote(name))
		if m.Format != "" {
			fmt.Fprintf(&b, "\"format\": %s, ", quote(m.Format))
		}
		b.WriteString("\"fields\": [")
		for j, f := range m.Fields {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n      " + fieldJSON(f))
		}
		if len(m.Fields) > 0 {
			b.WriteString("\n    ")
		}
		b.WriteString("]}" + comma(i, len(messages)) + "\n")
	}
	b.WriteString("  }\n}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func fieldJSON(f Field) string {
	parts := []string{
		`"name": ` + quote(f.Name),
		`"number": ` + strconv.Itoa(f.Number),
		`"type": ` + quote(f.Type),
	}
	add := func(key, value string) {
		if value != "" {
			parts = append(parts, quote(key)+": "+quote(value))
		}
	}
	flag := func(key string, on bool) {
		if on {
			parts = append(parts, quote(key)+": true")
		}
	}
	add("key", f.Key)
	add("value", f.Value)
	add("ref", f.Ref)
	flag("repeated", f.Repeated)
	flag("inline", f.Inline)
	flag("pointer", f.Pointer)
	flag("omitempty", f.OmitEmpty)
	add("patchStrategy", f.PatchStrategy)
	add("patchMergeKey", f.PatchMergeKey)
	return "{" + strings.Join(parts, ", ") + "}"
}

func quote(s string) string { return strconv.Quote(s) }

func comma(i, n int) string {
	if i < n-1 {
		return ","
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// moduleVersions reports the Kubernetes modules the schema was read from.
func moduleVersions() [][2]string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	var out [][2]string
	for _, dep := range info.Deps {
		if strings.HasPrefix(dep.Path, "k8s.io/a") {
			out = append(out, [2]string{dep.Path, dep.Version})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
