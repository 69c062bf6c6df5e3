package deploy

import (
	"os"
	"os/exec"
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
