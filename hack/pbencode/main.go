// Command pbencode produces the exact request bodies client-go sends for
// built-in kinds in Kubernetes protobuf, so the simulator's decoder is tested
// against real client-go bytes rather than bytes of our own making.
//
// It reads one JSON object (file argument or stdin), decodes it strictly with
// client-go's scheme into the typed Go object, and encodes that object the way
// a client-go REST client does (protobuf serializer behind a WithVersionEncoder
// for the request's group version): the 4-byte prefix "k8s\x00" followed by a
// runtime.Unknown message.
//
// Output, chosen with -emit:
//
//	protobuf  the raw request body (default)
//	json      client-go's JSON of the object kube-apiserver would hold after
//	          decoding that body: the protobuf bytes decoded back into a typed
//	          object and encoded as JSON with its apiVersion and kind
//	both      a JSON document {"protobuf": <base64 body>, "json": <as above>}
//
// -group-version encodes into another group version that registers the kind;
// clients send DeleteOptions in the version of the resource they delete
// (e.g. "apps/v1"). -source-hash prints the hash build.sh stamped in.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
)

const (
	protobufMediaType = runtime.ContentTypeProtobuf
	jsonMediaType     = runtime.ContentTypeJSON
)

// sourceHash is set by build.sh (-ldflags -X) to the hash of this
// directory's sources, so the script can tell whether a rebuild is needed.
var sourceHash = "unknown"

func main() {
	emit := flag.String("emit", "protobuf", "what to write: protobuf, json or both")
	groupVersion := flag.String("group-version", "", "encode into this group version instead of the object's own apiVersion")
	printHash := flag.Bool("source-hash", false, "print the source hash stamped in at build time and exit")
	flag.Parse()
	if *printHash {
		fmt.Println(sourceHash)
		return
	}
	if err := run(*emit, *groupVersion, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "pbencode:", err)
		os.Exit(1)
	}
}

func run(emit, groupVersion string, args []string) error {
	input, err := readInput(args)
	if err != nil {
		return err
	}
	// client-go's scheme has every built-in kind; CustomResourceDefinition
	// lives in apiextensions, which controller-runtime users add themselves.
	if err := apiextensionsv1.AddToScheme(scheme.Scheme); err != nil {
		return err
	}
	// Strict decoding turns a typo in a test fixture into an error instead
	// of a silently dropped field that would make the comparison meaningless.
	strict := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict)
	obj, gvk, err := strict.UniversalDeserializer().Decode(input, nil, nil)
	if err != nil {
		return fmt.Errorf("decoding the input JSON with client-go's scheme: %w", err)
	}
	gv := gvk.GroupVersion()
	if groupVersion != "" {
		if gv, err = schema.ParseGroupVersion(groupVersion); err != nil {
			return err
		}
	}

	codecs := scheme.Codecs.WithoutConversion()
	body, err := encode(codecs, protobufMediaType, gv, obj)
	if err != nil {
		return err
	}
	switch emit {
	case "protobuf":
		_, err = os.Stdout.Write(body)
		return err
	case "json", "both":
		decoded, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, nil, nil)
		if err != nil {
			return fmt.Errorf("client-go cannot decode its own protobuf: %w", err)
		}
		js, err := encode(codecs, jsonMediaType, gv, decoded)
		if err != nil {
			return err
		}
		if emit == "json" {
			_, err = os.Stdout.Write(js)
			return err
		}
		out, err := json.Marshal(struct {
			Protobuf string          `json:"protobuf"`
			JSON     json.RawMessage `json:"json"`
		}{base64.StdEncoding.EncodeToString(body), bytes.TrimSpace(js)})
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(append(out, '\n'))
		return err
	default:
		return fmt.Errorf("unknown -emit %q: want protobuf, json or both", emit)
	}
}

// encode does what client-go's REST client does with a request body: the
// negotiated serializer wrapped to stamp the request's group version.
func encode(codecs runtime.NegotiatedSerializer, mediaType string, gv schema.GroupVersion, obj runtime.Object) ([]byte, error) {
	info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), mediaType)
	if !ok {
		return nil, fmt.Errorf("client-go has no serializer for %s", mediaType)
	}
	var buf bytes.Buffer
	if err := codecs.EncoderForVersion(info.Serializer, gv).Encode(obj, &buf); err != nil {
		return nil, fmt.Errorf("encoding as %s in %s: %w", mediaType, gv, err)
	}
	return buf.Bytes(), nil
}

func readInput(args []string) ([]byte, error) {
	switch len(args) {
	case 0:
		return io.ReadAll(os.Stdin)
	case 1:
		return os.ReadFile(args[0])
	default:
		return nil, fmt.Errorf("expected at most one input file, got %d", len(args))
	}
}
