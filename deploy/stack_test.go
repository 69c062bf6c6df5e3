package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// rootTemplate is the stack that deploy/README.md tells people to deploy.
const rootTemplate = "crumb.yaml"

// TestNestedStacks: the root passes each nested template exactly the
// parameters it declares, every required one included, with allowed literal
// values; every template in the folder is used.
func TestNestedStacks(t *testing.T) {
	tpls := loadTemplates(t)
	root := templateByName(t, tpls, rootTemplate)
	used := map[string]bool{rootTemplate: true}
	for _, r := range root.resourcesOfType("AWS::CloudFormation::Stack") {
		url, _ := r.props["TemplateURL"].(string)
		used[url] = true
		child := templateByName(t, tpls, url)
		passed, _ := r.props["Parameters"].(map[string]any)
		declared := child.section("Parameters")
		for name, value := range passed {
			p, ok := declared[name]
			if !ok {
				t.Errorf("%s passes %s, which %s does not declare", r.name, name, url)
				continue
			}
			allowed, _ := dig(p, "AllowedValues").([]any)
			if s, literal := value.(string); literal && allowed != nil && !slices.Contains(allowed, any(s)) {
				t.Errorf("%s passes %s=%q, not in %v", r.name, name, s, allowed)
			}
		}
		for name, p := range declared {
			if _, ok := passed[name]; !ok && dig(p, "Default") == nil {
				t.Errorf("%s does not pass %s, which %s requires", r.name, name, url)
			}
		}
	}
	for _, tpl := range tpls {
		if !used[tpl.name] {
			t.Errorf("%s is not used by %s", tpl.name, rootTemplate)
		}
	}
}

// conditionValues evaluates every Condition of tpl for the given parameter
// values (parameters not given take their Default).
func conditionValues(t *testing.T, tpl *cfnTemplate, params map[string]string) map[string]bool {
	t.Helper()
	conds := tpl.section("Conditions")
	out := map[string]bool{}
	var eval func(v any) bool
	value := func(v any) string {
		if fn, arg, ok := intrinsic(v); ok && fn == "Ref" {
			if p, ok := params[fmt.Sprint(arg)]; ok {
				return p
			}
			return fmt.Sprint(dig(tpl.section("Parameters"), fmt.Sprint(arg), "Default"))
		}
		return fmt.Sprint(v)
	}
	eval = func(v any) bool {
		fn, arg, _ := intrinsic(v)
		args, _ := arg.([]any)
		switch fn {
		case "Fn::Equals":
			return value(args[0]) == value(args[1])
		case "Fn::Not":
			return !eval(args[0])
		case "Fn::And":
			return !slices.ContainsFunc(args, func(a any) bool { return !eval(a) })
		case "Fn::Or":
			return slices.ContainsFunc(args, eval)
		case "Condition":
			return eval(conds[fmt.Sprint(arg)])
		}
		t.Fatalf("%s: cannot evaluate condition %v", tpl.name, v)
		return false
	}
	for name, c := range conds {
		out[name] = eval(c)
	}
	return out
}

// resolveIf picks the Fn::If branches that hold.
func resolveIf(v any, conds map[string]bool) any {
	if fn, arg, ok := intrinsic(v); ok && fn == "Fn::If" {
		args := arg.([]any)
		if conds[fmt.Sprint(args[0])] {
			return resolveIf(args[1], conds)
		}
		return resolveIf(args[2], conds)
	}
	return v
}

// TestEnvironmentDifferences: what prod must have that dev saves money on.
func TestEnvironmentDifferences(t *testing.T) {
	tpls := loadTemplates(t)
	root := templateByName(t, tpls, rootTemplate)
	envConfig := dig(root.section("Mappings"), "EnvConfig")
	natGateways := func(tpl *cfnTemplate, conds map[string]bool) any {
		n := 0
		for _, r := range tpl.resourcesOfType("AWS::EC2::NatGateway") {
			if r.condition == "" || conds[r.condition] {
				n++
			}
		}
		return n
	}
	prop := func(typ, name string) func(*cfnTemplate, map[string]bool) any {
		return func(tpl *cfnTemplate, conds map[string]bool) any {
			r := tpl.resourcesOfType(typ)[0]
			return fmt.Sprint(resolveIf(r.props[name], conds))
		}
	}
	tests := []struct {
		desc, file string
		got        func(*cfnTemplate, map[string]bool) any
		want       map[string]any // by environment
	}{
		{"one NAT gateway, one per zone in prod", "network.yaml", natGateways,
			map[string]any{"dev": 1, "staging": 1, "prod": 2}},
		{"RDS Multi-AZ in prod", "data.yaml", prop("AWS::RDS::DBInstance", "MultiAZ"),
			map[string]any{"dev": "false", "staging": "false", "prod": "true"}},
		{"RDS deletion protection in prod", "data.yaml", prop("AWS::RDS::DBInstance", "DeletionProtection"),
			map[string]any{"dev": "false", "staging": "false", "prod": "true"}},
		{"Redis replica in prod", "data.yaml", prop("AWS::ElastiCache::ReplicationGroup", "NumCacheClusters"),
			map[string]any{"dev": "1", "staging": "1", "prod": "2"}},
		{"Redis Multi-AZ failover in prod", "data.yaml", prop("AWS::ElastiCache::ReplicationGroup", "MultiAZEnabled"),
			map[string]any{"dev": "false", "staging": "false", "prod": "true"}},
	}
	for _, tc := range tests {
		tpl := templateByName(t, tpls, tc.file)
		for env, want := range tc.want {
			t.Run(tc.desc+"/"+env, func(t *testing.T) {
				conds := conditionValues(t, tpl, map[string]string{"Environment": env})
				if got := tc.got(tpl, conds); got != want {
					t.Errorf("got %v, want %v", got, want)
				}
			})
		}
	}
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run("sizes/"+env, func(t *testing.T) {
			cfg := dig(envConfig, env)
			num := func(k string) int {
				n, ok := toInt(dig(cfg, k))
				if !ok {
					t.Fatalf("EnvConfig.%s.%s is not a number", env, k)
				}
				return n
			}
			if num("DbBackupRetentionDays") < 1 {
				t.Error("automated backups are off")
			}
			for _, g := range []string{"Serve", "Worker"} {
				// A rolling update keeps MinSize in service and needs room for one more.
				if min, max := num(g+"MinSize"), num(g+"MaxSize"); min < 1 || min >= max {
					t.Errorf("%s group: want 1 <= MinSize < MaxSize, got %d, %d", g, min, max)
				}
			}
		})
	}
}

// TestAlarmPauseNamesExist: every alarm named in CRUMB_ALARM_PAUSE_REPORTS is
// created by some template, so pausing the reports queue can actually happen.
func TestAlarmPauseNamesExist(t *testing.T) {
	tpls := loadTemplates(t)
	alarms := map[string]bool{}
	for _, tpl := range tpls {
		for _, r := range tpl.resourcesOfType("AWS::CloudWatch::Alarm") {
			_, name, _ := intrinsic(r.props["AlarmName"])
			alarms[fmt.Sprint(name)] = true
		}
	}
	root := templateByName(t, tpls, rootTemplate)
	checked := 0
	for _, fleet := range root.resourcesOfType("AWS::CloudFormation::Stack") {
		v, ok := dig(fleet.props, "Parameters", "AlarmPauseReports").(map[string]any)
		if !ok {
			continue
		}
		names := fmt.Sprint(v["Fn::Sub"])
		for _, name := range strings.Split(names, ",") {
			checked++
			if !alarms[name] {
				t.Errorf("%s: alarm %q is not created by any template (have %v)", fleet.name, name, alarms)
			}
		}
	}
	if checked == 0 {
		t.Error("no stack passes AlarmPauseReports")
	}
}
