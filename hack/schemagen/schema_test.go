package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The schema is read from Go struct tags, some of which are known to be
// wrong (see scalarType). These tests hold it against the generated.proto
// files shipped in the same module versions, which describe the bytes the
// generated marshalling code really writes.

var (
	protoPackage = regexp.MustCompile(`(?m)^package ([\w.]+);`)
	protoMessage = regexp.MustCompile(`(?ms)^message (\w+) \{(.*?)^\}`)
	protoField   = regexp.MustCompile(`(?m)^\s*(optional|repeated|required)?\s*(map<\s*\w+\s*,\s*[\w.]+\s*>|[\w.]+)\s+(\w+)\s*=\s*(\d+);`)
	protoComment = regexp.MustCompile(`//.*`)
)

type protoFieldDecl struct {
	label, typ, name string
}

// protoMessages parses every generated.proto of the pinned Kubernetes
// modules into schema type name -> field number -> declaration.
func protoMessages(t *testing.T) map[string]map[int]protoFieldDecl {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}",
		"k8s.io/api", "k8s.io/apimachinery", "k8s.io/apiextensions-apiserver").Output()
	if err != nil {
		t.Fatalf("locating the Kubernetes modules: %v", err)
	}
	messages := map[string]map[int]protoFieldDecl{}
	for _, dir := range strings.Fields(string(out)) {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "generated.proto" {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			text := protoComment.ReplaceAllString(string(src), "")
			pkg := protoPackage.FindStringSubmatch(text)
			if pkg == nil {
				return nil
			}
			// k8s.io.api.core.v1 -> io.k8s.api.core.v1 (apiextensions_apiserver -> apiextensions-apiserver)
			prefix := strings.Replace(strings.Replace(pkg[1], "k8s.io.", "io.k8s.", 1), "_", "-", -1)
			for _, m := range protoMessage.FindAllStringSubmatch(text, -1) {
				fields := map[int]protoFieldDecl{}
				for _, f := range protoField.FindAllStringSubmatch(m[2], -1) {
					n, _ := strconv.Atoi(f[4])
					fields[n] = protoFieldDecl{label: f[1], typ: strings.ReplaceAll(f[2], " ", ""), name: f[3]}
				}
				messages[prefix+"."+m[1]] = fields
			}
			return nil
		})
		if err != nil {
			t.Fatalf("reading generated.proto files under %s: %v", dir, err)
		}
	}
	return messages
}

var protoScalars = map[string]bool{
	"string": true, "bytes": true, "bool": true, "int32": true, "int64": true, "uint32": true,
	"uint64": true, "sint32": true, "sint64": true, "double": true, "float": true,
	"fixed32": true, "fixed64": true, "sfixed32": true, "sfixed64": true,
}

func TestSchemaMatchesGeneratedProto(t *testing.T) {
	_, messages, _ := generate()
	protos := protoMessages(t)
	for name, m := range messages {
		decl, ok := protos[name]
		if !ok {
			t.Errorf("%s: no message of that name in any generated.proto", name)
			continue
		}
		ours := map[int]Field{}
		for _, f := range m.Fields {
			ours[f.Number] = f
		}
		for number, p := range decl {
			f, ok := ours[number]
			if !ok {
				t.Errorf("%s: generated.proto field %d (%s) is missing", name, number, p.name)
				continue
			}
			var problem string
			switch {
			case strings.HasPrefix(p.typ, "map<"):
				if f.Type != "map" {
					problem = "should be a map"
				}
			case f.Type == "map":
				problem = "is a map but generated.proto says " + p.typ
			case (p.label == "repeated") != f.Repeated:
				problem = "repeated mismatch"
			case protoScalars[p.typ] && f.Type != p.typ:
				problem = "scalar type " + f.Type + " but generated.proto says " + p.typ
			case !protoScalars[p.typ] && (f.Type != "message" || !strings.HasSuffix(f.Ref, "."+p.typ[strings.LastIndex(p.typ, ".")+1:])):
				problem = "message type " + f.Ref + " but generated.proto says " + p.typ
			}
			if problem != "" {
				t.Errorf("%s field %d (%s): %s", name, number, p.name, problem)
			}
		}
		for number, f := range ours {
			if _, ok := decl[number]; !ok {
				t.Errorf("%s: field %d (%s) is not in generated.proto", name, number, f.Name)
			}
		}
	}
}

func TestCommittedSchemaIsCurrent(t *testing.T) {
	kinds, messages, _ := generate()
	var fresh bytes.Buffer
	if err := write(&fresh, kinds, messages); err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("../../src/simulator/schema/kube-types.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh.Bytes(), committed) {
		t.Error("src/simulator/schema/kube-types.json is stale: run hack/schemagen/generate.sh")
	}
}
