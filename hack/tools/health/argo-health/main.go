// Command argo-health runs an Argo CD resource health check written in Lua against each
// Kubernetes object on stdin, the way Argo CD does: the object is the global `obj`, and the
// script returns a table with `status` (Healthy, Progressing, Degraded, Suspended, Missing,
// Unknown) and `message`. It prints one JSON line per object. gopher-lua is the interpreter
// Argo CD embeds.
//
// Usage: kubectl get fakeapiservers -o json | argo-health health.lua
package main

import (
	"encoding/json"
	"fmt"
	"os"

	lua "github.com/yuin/gopher-lua"

	"metal3-fkas/hack/tools/health/internal/objects"
)

type verdict struct {
	Object  string `json:"object"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: argo-health SCRIPT.lua < objects.(json|yaml)")
		os.Exit(2)
	}
	script, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "argo-health:", err)
		os.Exit(2)
	}
	objs, err := objects.Read(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "argo-health: reading objects from stdin:", err)
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, obj := range objs {
		v, err := check(string(script), obj)
		if err != nil {
			fmt.Fprintf(os.Stderr, "argo-health: %s: %v\n", objects.Name(obj), err)
			os.Exit(1)
		}
		v.Object = objects.Name(obj)
		_ = enc.Encode(v)
	}
}

// check runs the script in a fresh state, as Argo CD does per object.
func check(script string, obj map[string]any) (verdict, error) {
	L := lua.NewState(lua.Options{SkipOpenLibs: false})
	defer L.Close()
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoString(script); err != nil {
		return verdict{}, err
	}
	ret, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		return verdict{}, fmt.Errorf("the script returned %s, not a table with status and message", L.Get(-1).Type())
	}
	return verdict{Status: ret.RawGetString("status").String(), Message: luaString(ret.RawGetString("message"))}, nil
}

func luaString(v lua.LValue) string {
	if v == lua.LNil {
		return ""
	}
	return v.String()
}

// toLua converts decoded JSON into Lua values: objects and arrays become tables (arrays
// 1-based), numbers LNumber, as Argo CD's conversion does.
func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(x)
	case int64:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case string:
		return lua.LString(x)
	case []any:
		t := L.NewTable()
		for _, e := range x {
			t.Append(toLua(L, e))
		}
		return t
	case map[string]any:
		t := L.NewTable()
		for k, e := range x {
			t.RawSetString(k, toLua(L, e))
		}
		return t
	default:
		return lua.LString(fmt.Sprint(x))
	}
}
