package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// cfnDir holds the templates under test, relative to this package.
const cfnDir = "cloudformation"

// cfnTemplate is one parsed CloudFormation template. Short-form tags are turned
// into their long form (!Ref X becomes {"Ref": "X"}, !Sub s becomes
// {"Fn::Sub": s}), so every check sees one shape.
type cfnTemplate struct {
	name string // file name, e.g. "data.yaml"
	dir  string // folder, for nested stacks' TemplateURL
	doc  map[string]any
}

// cfnResource is one entry of Resources.
type cfnResource struct {
	name      string
	typ       string
	condition string
	props     map[string]any
	raw       map[string]any
}

// shortTags are the CloudFormation YAML short forms and their long names.
var shortTags = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition",
	"!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!If": "Fn::If", "!Equals": "Fn::Equals",
	"!Select": "Fn::Select", "!GetAZs": "Fn::GetAZs", "!Join": "Fn::Join",
	"!FindInMap": "Fn::FindInMap", "!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or",
	"!Base64": "Fn::Base64", "!Split": "Fn::Split", "!ImportValue": "Fn::ImportValue",
	"!Cidr": "Fn::Cidr", "!Transform": "Fn::Transform", "!ToJsonString": "Fn::ToJsonString",
	"!Length": "Fn::Length",
}

// parseTemplate parses YAML with CloudFormation tags into plain Go values.
func parseTemplate(name string, src []byte) (*cfnTemplate, error) {
	file, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(file.Docs) != 1 {
		return nil, fmt.Errorf("%s: want one YAML document, got %d", name, len(file.Docs))
	}
	v, err := yamlValue(file.Docs[0].Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: top level is not a mapping", name)
	}
	return &cfnTemplate{name: name, doc: doc}, nil
}

func yamlValue(n ast.Node) (any, error) {
	switch n := n.(type) {
	case nil, *ast.NullNode:
		return nil, nil
	case *ast.DocumentNode:
		return yamlValue(n.Body)
	case *ast.MappingNode:
		out := make(map[string]any, len(n.Values))
		for _, kv := range n.Values {
			if err := addPair(out, kv); err != nil {
				return nil, err
			}
		}
		return out, nil
	case *ast.MappingValueNode:
		out := map[string]any{}
		return out, addPair(out, n)
	case *ast.SequenceNode:
		out := make([]any, 0, len(n.Values))
		for _, item := range n.Values {
			v, err := yamlValue(item)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *ast.StringNode:
		return n.Value, nil
	case *ast.LiteralNode:
		return n.Value.Value, nil
	case *ast.IntegerNode:
		return n.Value, nil
	case *ast.FloatNode:
		return n.Value, nil
	case *ast.BoolNode:
		return n.Value, nil
	case *ast.AnchorNode:
		return yamlValue(n.Value)
	case *ast.TagNode:
		return tagValue(n)
	default:
		return nil, fmt.Errorf("line %d: unsupported YAML node %s", n.GetToken().Position.Line, n.Type())
	}
}

func addPair(out map[string]any, kv *ast.MappingValueNode) error {
	var key string
	switch k := kv.Key.(type) {
	case *ast.StringNode:
		key = k.Value
	default:
		key = kv.Key.GetToken().Value
	}
	if _, dup := out[key]; dup {
		return fmt.Errorf("line %d: duplicate key %q", kv.Key.GetToken().Position.Line, key)
	}
	v, err := yamlValue(kv.Value)
	if err != nil {
		return err
	}
	out[key] = v
	return nil
}

func tagValue(n *ast.TagNode) (any, error) {
	tag := n.Start.Value
	inner, err := yamlValue(n.Value)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(tag, "!!") { // a YAML core tag such as !!str
		return inner, nil
	}
	long, ok := shortTags[tag]
	if !ok {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Start.Position.Line, tag)
	}
	if s, isString := inner.(string); long == "Fn::GetAtt" && isString {
		// !GetAtt Res.Attr.Sub splits at the first dot only.
		res, attr, _ := strings.Cut(s, ".")
		inner = []any{res, attr}
	}
	return map[string]any{long: inner}, nil
}

// loadTemplates parses every template under cloudformation/.
func loadTemplates(t *testing.T) []*cfnTemplate {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(cfnDir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no templates in %s: %v", cfnDir, err)
	}
	sort.Strings(paths)
	var out []*cfnTemplate
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		tpl, err := parseTemplate(filepath.Base(p), src)
		if err != nil {
			t.Fatal(err)
		}
		tpl.dir = cfnDir
		out = append(out, tpl)
	}
	return out
}

// templateByName returns one of the loaded templates.
func templateByName(t *testing.T, tpls []*cfnTemplate, name string) *cfnTemplate {
	t.Helper()
	for _, tpl := range tpls {
		if tpl.name == name {
			return tpl
		}
	}
	t.Fatalf("template %s not found", name)
	return nil
}

func (t *cfnTemplate) section(name string) map[string]any {
	m, _ := t.doc[name].(map[string]any)
	return m
}

// resources returns Resources sorted by logical name.
func (t *cfnTemplate) resources() []cfnResource {
	var out []cfnResource
	for name, v := range t.section("Resources") {
		raw, _ := v.(map[string]any)
		r := cfnResource{name: name, raw: raw}
		r.typ, _ = raw["Type"].(string)
		r.condition, _ = raw["Condition"].(string)
		r.props, _ = raw["Properties"].(map[string]any)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (t *cfnTemplate) resourcesOfType(typ string) []cfnResource {
	var out []cfnResource
	for _, r := range t.resources() {
		if r.typ == typ {
			out = append(out, r)
		}
	}
	return out
}

// dig follows keys through nested maps; nil when any step is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// intrinsic reports whether v is a one-key map naming an intrinsic function,
// and returns the function name and its argument.
func intrinsic(v any) (string, any, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", nil, false
	}
	for k, arg := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, arg, true
		}
	}
	return "", nil, false
}

// branches lists what v can evaluate to: both arms of every Fn::If, or v itself.
func branches(v any) []any {
	if fn, arg, ok := intrinsic(v); ok && fn == "Fn::If" {
		if args, ok := arg.([]any); ok && len(args) == 3 {
			return append(branches(args[1]), branches(args[2])...)
		}
	}
	return []any{v}
}

// alwaysTrue reports whether v is true in every Fn::If branch.
func alwaysTrue(v any) bool {
	for _, b := range branches(v) {
		switch b := b.(type) {
		case bool:
			if !b {
				return false
			}
		case string:
			if !strings.EqualFold(b, "true") {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// paramDefault resolves a literal or a Ref to a parameter with a Default.
func (t *cfnTemplate) paramDefault(v any) (any, bool) {
	if fn, arg, ok := intrinsic(v); ok {
		name, _ := arg.(string)
		if fn != "Ref" {
			return nil, false
		}
		def := dig(t.section("Parameters"), name, "Default")
		return def, def != nil
	}
	return v, v != nil
}

// tagKeys returns the Key of every {Key, Value} in a Tags list.
func tagKeys(v any) map[string]bool {
	keys := map[string]bool{}
	list, _ := v.([]any)
	for _, item := range list {
		if k, ok := dig(item, "Key").(string); ok {
			keys[k] = true
		}
	}
	return keys
}
