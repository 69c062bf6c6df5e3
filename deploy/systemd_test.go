package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// unitDir holds the systemd units, relative to this package.
const unitDir = "systemd"

// appDrainTimeout is the app's default CRUMB_SHUTDOWN_TIMEOUT; systemd must
// wait longer than this before it kills the process.
const appDrainTimeout = 30 * time.Second

// unitFile is a parsed systemd unit: section -> key -> values in order.
type unitFile struct {
	name     string
	sections map[string]map[string][]string
}

func (u unitFile) get(section, key string) []string { return u.sections[section][key] }

// last returns the effective value of a single-valued setting.
func (u unitFile) last(section, key string) string {
	v := u.get(section, key)
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func readUnit(t *testing.T, path string) unitFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unitFile{name: filepath.Base(path), sections: map[string]map[string][]string{}}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			u.sections[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: cannot parse %q", path, line)
			}
			u.sections[section][k] = append(u.sections[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// parseSystemdSeconds reads a time span such as 45s, 15min or 90.
func parseSystemdSeconds(s string) (time.Duration, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, true
	}
	d, err := time.ParseDuration(strings.ReplaceAll(s, "min", "m"))
	return d, err == nil
}

// stopTimeout returns a unit's TimeoutStopSec.
func stopTimeout(t *testing.T, name string) time.Duration {
	t.Helper()
	d, ok := parseSystemdSeconds(readUnit(t, filepath.Join(unitDir, name)).last("Service", "TimeoutStopSec"))
	if !ok {
		t.Fatalf("%s: no TimeoutStopSec", name)
	}
	return d
}

// Environment files the units read. crumbEnv holds every setting; migrateEnv,
// written on serve instances only, holds the MySQL master credentials and the
// app user's secret that crumb migrate alone may use.
const (
	crumbEnv   = "/etc/crumb/crumb.env"
	migrateEnv = "/etc/crumb/migrate.env"
)

// unitHardening lists the settings every crumb unit must have.
var unitHardening = map[string]string{
	"DynamicUser": "yes", "StateDirectory": "crumb", "NoNewPrivileges": "yes",
	"CapabilityBoundingSet": "", "AmbientCapabilities": "",
	"ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
	"ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
	"ProtectControlGroups": "yes", "ProtectClock": "yes", "RestrictNamespaces": "yes",
	"RestrictRealtime": "yes", "RestrictSUIDSGID": "yes", "LockPersonality": "yes",
	"MemoryDenyWriteExecute": "yes", "SystemCallArchitectures": "native",
	"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "KillSignal": "SIGTERM",
}

// checkUnit returns what a crumb unit lacks.
func checkUnit(u unitFile) []string {
	var out []string
	for key, want := range unitHardening {
		vals := u.get("Service", key)
		if len(vals) == 0 || vals[len(vals)-1] != want {
			out = append(out, key+"="+want+" missing")
		}
	}
	if !slices.Contains(u.get("Service", "SystemCallFilter"), "@system-service") {
		out = append(out, "SystemCallFilter=@system-service missing")
	}
	out = append(out, checkUnitEnvFiles(u)...)
	if d, ok := parseSystemdSeconds(u.last("Service", "TimeoutStopSec")); !ok || d <= appDrainTimeout {
		out = append(out, "TimeoutStopSec must exceed the app's 30 s drain")
	}
	sub := strings.TrimPrefix(strings.TrimSuffix(u.name, ".service"), "crumb")
	wantExec := strings.TrimSpace("/usr/local/bin/crumb " + strings.TrimPrefix(sub, "-"))
	if got := u.last("Service", "ExecStart"); got != wantExec {
		out = append(out, "ExecStart="+got+", want "+wantExec)
	}
	if u.last("Service", "Type") != "oneshot" && u.last("Service", "Restart") != "on-failure" {
		out = append(out, "Restart=on-failure missing")
	}
	return out
}

// checkUnitEnvFiles: every unit reads crumbEnv first; crumb-migrate.service
// then reads the optional migrateEnv, so that its values (the master
// credentials) win over crumbEnv's; no other unit reads migrateEnv.
func checkUnitEnvFiles(u unitFile) []string {
	files := u.get("Service", "EnvironmentFile")
	var out []string
	if len(files) == 0 || strings.TrimPrefix(files[0], "-") != crumbEnv {
		out = append(out, "EnvironmentFile="+crumbEnv+" missing or not first")
	}
	readsMigrateEnv := slices.ContainsFunc(files, func(f string) bool { return strings.TrimPrefix(f, "-") == migrateEnv })
	switch {
	case u.name != "crumb-migrate.service" && readsMigrateEnv:
		out = append(out, "reads "+migrateEnv+" (the MySQL master credentials), which only crumb-migrate.service may")
	case u.name == "crumb-migrate.service" && !slices.Equal(files, []string{crumbEnv, "-" + migrateEnv}):
		out = append(out, "EnvironmentFile="+strings.Join(files, ", ")+", want "+crumbEnv+" then -"+migrateEnv+" (optional, overriding)")
	}
	return out
}

func TestUnitsHardened(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(unitDir, "*.service"))
	names := map[string]bool{}
	for _, p := range paths {
		u := readUnit(t, p)
		names[u.name] = true
		t.Run(u.name, func(t *testing.T) {
			for _, v := range checkUnit(u) {
				t.Error(v)
			}
		})
	}
	for _, want := range []string{"crumb-serve.service", "crumb-worker.service", "crumb-migrate.service"} {
		if !names[want] {
			t.Errorf("%s missing from %s", want, unitDir)
		}
	}
}

func TestUnitCheckCatchesWeakUnit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crumb-serve.service")
	weak := "[Service]\nExecStart=/usr/local/bin/crumb serve\nEnvironmentFile=/etc/crumb/crumb.env\nTimeoutStopSec=10s\n"
	if err := os.WriteFile(path, []byte(weak), 0o644); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(checkUnit(readUnit(t, path)), "\n")
	for _, want := range []string{"ProtectSystem=strict missing", "TimeoutStopSec must exceed", "Restart=on-failure missing"} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q reported, got:\n%s", want, got)
		}
	}
}

// TestUnitEnvCheckCatchesMistakes: checkUnitEnvFiles reports a migrate unit
// whose crumb.env would override the master credentials, one that misses
// migrate.env or requires it, and an app unit that reads migrate.env.
func TestUnitEnvCheckCatchesMistakes(t *testing.T) {
	cases := []struct {
		unit, files, want string // files: EnvironmentFile lines; want "" for a good unit
	}{
		{"crumb-migrate.service", crumbEnv + "\n-" + migrateEnv, ""},
		{"crumb-serve.service", crumbEnv, ""},
		{"crumb.service", "-" + crumbEnv, ""},
		{"crumb-migrate.service", "-" + migrateEnv + "\n" + crumbEnv, "not first"},
		{"crumb-migrate.service", crumbEnv, "want " + crumbEnv + " then -" + migrateEnv},
		{"crumb-migrate.service", crumbEnv + "\n" + migrateEnv, "want " + crumbEnv + " then -" + migrateEnv},
		{"crumb-serve.service", crumbEnv + "\n-" + migrateEnv, "only crumb-migrate.service may"},
		{"crumb-worker.service", crumbEnv + "\n" + migrateEnv, "only crumb-migrate.service may"},
	}
	for _, tc := range cases {
		path := filepath.Join(t.TempDir(), tc.unit)
		src := "[Service]\nEnvironmentFile=" + strings.ReplaceAll(tc.files, "\n", "\nEnvironmentFile=") + "\n"
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		got := strings.Join(checkUnitEnvFiles(readUnit(t, path)), "\n")
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%s with %q: good unit reported: %s", tc.unit, tc.files, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%s with %q: want %q reported, got %q", tc.unit, tc.files, tc.want, got)
		}
	}
}

// TestUnitsVerify runs systemd-analyze on copies of the units whose ExecStart
// points at a stub (verify insists the binary exists). systemd-analyze is
// optional: the test skips where it is not installed, in CI too.
func TestUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	dir := t.TempDir()
	stub := filepath.Join(dir, "crumb")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(unitDir, "*.service"))
	var copies []string
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.Base(p))
		if err := os.WriteFile(dst, []byte(strings.ReplaceAll(string(src), "/usr/local/bin/crumb", stub)), 0o644); err != nil {
			t.Fatal(err)
		}
		copies = append(copies, dst)
	}
	out, err := exec.Command(analyze, append([]string{"verify"}, copies...)...).CombinedOutput()
	// verify exits 0 on unknown keys and bad values; any line about our units fails.
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, dir) {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
	if err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, c := range copies {
		// Exposure 2.0 of 10 at most ("OK"); --offline needs systemd 250.
		out, err := exec.Command(analyze, "security", "--offline=yes", "--threshold=20", c).CombinedOutput()
		if err != nil && strings.Contains(string(out), "unrecognized option") {
			t.Skip("systemd-analyze security --offline not supported")
		}
		if err != nil {
			t.Errorf("%s: exposure above 2.0: %v\n%s", filepath.Base(c), err, lastLine(out))
		}
	}
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
