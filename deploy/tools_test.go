package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// requireTool finds an external program by name, then at the given fallback
// paths (Debian puts nginx in /usr/sbin, which a non-root PATH may lack). When
// it is missing the test fails under CI=true, since install-tools.sh should
// have installed it, and is skipped on a developer machine.
func requireTool(t *testing.T, name string, fallbacks ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range fallbacks {
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	missingTool(t, name)
	return ""
}

// missingTool fails or skips as requireTool describes.
func missingTool(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not installed; run deploy/install-tools.sh", what)
	}
	t.Skipf("%s not installed; run deploy/install-tools.sh", what)
}

// cfnLintModules is where install-tools.sh puts the npm validator.
var cfnLintModules = filepath.Join(".tools", "cfnlint", "node_modules")

// requireCfnLint returns node and the node_modules folder holding cfn-lint
// and the resource specification lint.js gives it.
func requireCfnLint(t *testing.T) (node, modules string) {
	t.Helper()
	node = requireTool(t, "node", "/usr/bin/node", "/usr/local/bin/node")
	for _, f := range []string{"cfn-lint/package.json", "@aws-cdk/cfnspec/spec/specification.json"} {
		if _, err := os.Stat(filepath.Join(cfnLintModules, f)); err != nil {
			missingTool(t, "npm cfn-lint ("+filepath.Join(cfnLintModules, f)+")")
		}
	}
	return node, cfnLintModules
}
