package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// pseudoParameters may be used with Ref and in Fn::Sub anywhere.
var pseudoParameters = map[string]bool{
	"AWS::AccountId": true, "AWS::NotificationARNs": true, "AWS::NoValue": true,
	"AWS::Partition": true, "AWS::Region": true, "AWS::StackId": true,
	"AWS::StackName": true, "AWS::URLSuffix": true,
}

// subVar matches ${Name} and ${Resource.Attribute} in Fn::Sub; ${!Literal} is
// text and is skipped by the caller.
var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// refChecker walks a template and records every reference that would fail.
type refChecker struct {
	t          *cfnTemplate
	params     map[string]any
	resources  map[string]cfnResource
	conditions map[string]any
	mappings   map[string]any
	out        []string
}

// checkReferences: every Ref, Fn::GetAtt, Fn::Sub variable, Fn::FindInMap,
// Fn::If condition, Condition and DependsOn names something that exists; a
// resource with a Condition is referenced only where that condition holds; a
// nested stack's Outputs.X exists in its template.
func checkReferences(t *cfnTemplate) []string {
	c := &refChecker{
		t: t, params: t.section("Parameters"), resources: map[string]cfnResource{},
		conditions: t.section("Conditions"), mappings: t.section("Mappings"),
	}
	for _, r := range t.resources() {
		c.resources[r.name] = r
	}
	for name, cond := range c.conditions {
		c.visit(cond, "Conditions."+name, nil, true)
	}
	for _, r := range t.resources() {
		held := c.holds(nil, r.condition, r.name)
		for _, dep := range asList(r.raw["DependsOn"]) {
			c.resource(fmt.Sprint(dep), r.name+" DependsOn", held)
		}
		for _, key := range []string{"Properties", "CreationPolicy", "UpdatePolicy"} {
			c.visit(r.raw[key], r.name, held, false)
		}
	}
	for name, o := range t.section("Outputs") {
		cond, _ := dig(o, "Condition").(string)
		held := c.holds(nil, cond, "Outputs."+name)
		c.visit(dig(o, "Value"), "Outputs."+name, held, false)
	}
	sort.Strings(c.out)
	return c.out
}

// holds returns held plus cond, after checking that cond exists.
func (c *refChecker) holds(held map[string]bool, cond, where string) map[string]bool {
	out := map[string]bool{}
	for k := range held {
		out[k] = true
	}
	if cond == "" {
		return out
	}
	if _, ok := c.conditions[cond]; !ok {
		c.fail(where, "condition %q does not exist", cond)
	}
	out[cond] = true
	return out
}

func (c *refChecker) fail(where, format string, a ...any) {
	c.out = append(c.out, where+": "+fmt.Sprintf(format, a...))
}

func (c *refChecker) visit(v any, where string, held map[string]bool, inConditions bool) {
	fn, arg, ok := intrinsic(v)
	if !ok {
		switch v := v.(type) {
		case map[string]any:
			for _, child := range v {
				c.visit(child, where, held, inConditions)
			}
		case []any:
			for _, child := range v {
				c.visit(child, where, held, inConditions)
			}
		}
		return
	}
	args, _ := arg.([]any)
	switch fn {
	case "Ref":
		c.name(fmt.Sprint(arg), where, held, inConditions)
	case "Condition":
		c.holds(nil, fmt.Sprint(arg), where)
	case "Fn::GetAtt":
		if s, isString := arg.(string); isString {
			res, attr, _ := strings.Cut(s, ".")
			args = []any{res, attr}
		}
		if len(args) != 2 {
			c.fail(where, "Fn::GetAtt wants [resource, attribute], got %v", arg)
			return
		}
		c.getAtt(fmt.Sprint(args[0]), fmt.Sprint(args[1]), where, held)
	case "Fn::Sub":
		c.sub(arg, where, held, inConditions)
	case "Fn::If":
		if len(args) != 3 {
			c.fail(where, "Fn::If wants [condition, then, else], got %v", arg)
			return
		}
		cond := fmt.Sprint(args[0])
		c.visit(args[1], where, c.holds(held, cond, where), inConditions)
		c.visit(args[2], where, held, inConditions)
	case "Fn::FindInMap":
		c.findInMap(args, where)
		c.visit(arg, where, held, inConditions)
	default:
		c.visit(arg, where, held, inConditions)
	}
}

// name checks a Ref target.
func (c *refChecker) name(name, where string, held map[string]bool, inConditions bool) {
	switch {
	case pseudoParameters[name]:
	case c.params[name] != nil:
	case inConditions:
		c.fail(where, "Ref %q: Conditions may refer only to parameters", name)
	default:
		c.resource(name, where, held)
	}
}

// resource checks a reference to a resource, including its Condition.
func (c *refChecker) resource(name, where string, held map[string]bool) {
	r, ok := c.resources[name]
	if !ok {
		c.fail(where, "%q is not a parameter or resource", name)
		return
	}
	if r.condition != "" && !held[r.condition] {
		c.fail(where, "refers to %s, which exists only when %s holds, outside Fn::If %s", name, r.condition, r.condition)
	}
}

func (c *refChecker) getAtt(res, attr, where string, held map[string]bool) {
	c.resource(res, where, held)
	r, ok := c.resources[res]
	output, isOutput := strings.CutPrefix(attr, "Outputs.")
	if !ok || r.typ != "AWS::CloudFormation::Stack" || !isOutput || c.t.dir == "" {
		return
	}
	child, err := c.nested(r)
	if err != nil {
		c.fail(where, "%v", err)
		return
	}
	if _, ok := child.section("Outputs")[output]; !ok {
		c.fail(where, "%s (%s) has no output %s", res, child.name, output)
	}
}

// nested parses the template of a nested stack whose TemplateURL is a path
// beside this template (as `aws cloudformation package` expects).
func (c *refChecker) nested(r cfnResource) (*cfnTemplate, error) {
	url, _ := r.props["TemplateURL"].(string)
	src, err := os.ReadFile(filepath.Join(c.t.dir, url))
	if err != nil {
		return nil, fmt.Errorf("%s: TemplateURL: %w", r.name, err)
	}
	return parseTemplate(url, src)
}

func (c *refChecker) sub(arg any, where string, held map[string]bool, inConditions bool) {
	text, _ := arg.(string)
	locals := map[string]any{}
	if args, ok := arg.([]any); ok && len(args) == 2 {
		text, _ = args[0].(string)
		locals, _ = args[1].(map[string]any)
		c.visit(args[1], where, held, inConditions)
	}
	for _, m := range subVar.FindAllStringSubmatch(text, -1) {
		v := m[1]
		if strings.HasPrefix(v, "!") || locals[v] != nil {
			continue
		}
		if res, attr, dotted := strings.Cut(v, "."); dotted && !pseudoParameters[v] {
			c.getAtt(res, attr, where, held)
			continue
		}
		c.name(v, where, held, inConditions)
	}
}

func (c *refChecker) findInMap(args []any, where string) {
	if len(args) != 3 {
		c.fail(where, "Fn::FindInMap wants [map, key, key], got %v", args)
		return
	}
	m, ok := c.mappings[fmt.Sprint(args[0])]
	if !ok {
		c.fail(where, "mapping %v does not exist", args[0])
		return
	}
	top, isKey := args[1].(string)
	if !isKey {
		return // chosen at deploy time, e.g. !Ref Environment
	}
	second, ok := dig(m, top).(map[string]any)
	if !ok {
		c.fail(where, "mapping %v has no key %s", args[0], top)
		return
	}
	if key, isKey := args[2].(string); isKey && second[key] == nil {
		c.fail(where, "mapping %v.%s has no key %s", args[0], top, key)
	}
}

// checkParametersUsed: every declared parameter is referenced somewhere.
func checkParametersUsed(t *cfnTemplate) []string {
	used := map[string]bool{}
	walk(t.doc, nil, func(path []string, v any) {
		fn, arg, ok := intrinsic(v)
		switch {
		case !ok:
		case fn == "Ref":
			used[fmt.Sprint(arg)] = true
		case fn == "Fn::Sub":
			text := arg
			if args, isList := arg.([]any); isList && len(args) > 0 {
				text = args[0]
			}
			s, _ := text.(string)
			for _, m := range subVar.FindAllStringSubmatch(s, -1) {
				used[m[1]] = true
			}
		}
	})
	var out []string
	for name := range t.section("Parameters") {
		if !used[name] {
			out = append(out, "parameter "+name+" is never used")
		}
	}
	sort.Strings(out)
	return out
}
