package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != DefaultAddr || c.DataDir != DefaultDataDir || !c.Embedded() || c.ShutdownTimeout != DefaultShutdownTimeout {
		t.Fatalf("defaults: %+v", c)
	}
	if c.SecureCookies() {
		t.Fatal("http base url must not force secure cookies")
	}
}

func TestValidateNamesTheVariable(t *testing.T) {
	tests := []struct {
		desc string
		env  map[string]string
		want string
	}{
		{desc: "bad addr", env: map[string]string{"CRUMB_ADDR": "8080"}, want: "CRUMB_ADDR"},
		{desc: "bad db url", env: map[string]string{"CRUMB_DATABASE_URL": "postgres://x"}, want: "CRUMB_DATABASE_URL"},
		{desc: "bad redis url", env: map[string]string{"CRUMB_REDIS_URL": "http://x"}, want: "CRUMB_REDIS_URL"},
		{desc: "bad zone", env: map[string]string{"CRUMB_TIMEZONE": "Nowhere/Town"}, want: "CRUMB_TIMEZONE"},
		{desc: "admin email alone", env: map[string]string{"CRUMB_ADMIN_EMAIL": "a@b.example"}, want: "CRUMB_ADMIN_EMAIL"},
		{desc: "short admin password", env: map[string]string{"CRUMB_ADMIN_EMAIL": "a@b.example", "CRUMB_ADMIN_PASSWORD": "short"}, want: "CRUMB_ADMIN_PASSWORD"},
		{desc: "admin password and its secret", env: map[string]string{"CRUMB_ADMIN_EMAIL": "a@b.example", "CRUMB_ADMIN_PASSWORD": "long enough pass",
			"CRUMB_ADMIN_PASSWORD_SECRET_ID": "crumb/admin", "CRUMB_AWS_REGION": "us-east-1"}, want: "CRUMB_ADMIN_PASSWORD_SECRET_ID"},
		{desc: "admin password secret alone", env: map[string]string{"CRUMB_ADMIN_PASSWORD_SECRET_ID": "crumb/admin", "CRUMB_AWS_REGION": "us-east-1"}, want: "CRUMB_ADMIN_EMAIL"},
		{desc: "admin password secret without a region", env: map[string]string{"CRUMB_ADMIN_EMAIL": "a@b.example", "CRUMB_ADMIN_PASSWORD_SECRET_ID": "crumb/admin"}, want: "CRUMB_AWS_REGION"},
		{desc: "bad base url", env: map[string]string{"CRUMB_BASE_URL": "localhost"}, want: "CRUMB_BASE_URL"},
		{desc: "bad duration", env: map[string]string{"CRUMB_SHUTDOWN_TIMEOUT": "soon"}, want: "CRUMB_SHUTDOWN_TIMEOUT"},
		{desc: "bad demo", env: map[string]string{"CRUMB_DEMO": "maybe"}, want: "CRUMB_DEMO"},
		{desc: "smtp without url", env: map[string]string{"CRUMB_MAIL_DRIVER": "smtp"}, want: "CRUMB_SMTP_URL"},
		{desc: "s3 without region", env: map[string]string{"CRUMB_S3_BUCKET": "b"}, want: "CRUMB_AWS_REGION"},
		{desc: "redis secret without redis url", env: map[string]string{"CRUMB_REDIS_AUTH_SECRET_ID": "crumb/redis", "CRUMB_AWS_REGION": "eu-west-1"}, want: "CRUMB_REDIS_AUTH_SECRET_ID"},
		{desc: "bad proxies", env: map[string]string{"CRUMB_TRUSTED_PROXIES": "10.0.0.0/99"}, want: "CRUMB_TRUSTED_PROXIES"},
		{desc: "bad bool", env: map[string]string{"CRUMB_CLOUDWATCH": "yes please"}, want: "CRUMB_CLOUDWATCH"},
		{desc: "bad int", env: map[string]string{"CRUMB_WORKER_CONCURRENCY": "many"}, want: "CRUMB_WORKER_CONCURRENCY"},
		{desc: "CA file without mysql", env: map[string]string{"CRUMB_DATABASE_CA_FILE": "/etc/hosts"}, want: "CRUMB_DATABASE_CA_FILE"},
		{desc: "app user secret without mysql", env: map[string]string{"CRUMB_DB_APP_SECRET_ID": "crumb/app", "CRUMB_AWS_REGION": "eu-west-1"}, want: "CRUMB_DB_APP_SECRET_ID"},
		{desc: "app user secret without region", env: map[string]string{"CRUMB_DB_APP_SECRET_ID": "crumb/app", "CRUMB_DATABASE_URL": "mysql://db:3306/crumb"}, want: "CRUMB_AWS_REGION"},
	}
	for _, tc := range tests {
		_, err := Load(env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to name %s", tc.desc, err, tc.want)
		}
	}
}

func TestClusterSettings(t *testing.T) {
	c, err := Load(env(map[string]string{
		"CRUMB_DATABASE_URL": "mysql://u:p@db:3306/crumb", "CRUMB_REDIS_URL": "rediss://cache:6379/0",
		"CRUMB_BASE_URL": "https://crumb.example.com/", "CRUMB_SHUTDOWN_TIMEOUT": "45s",
		"CRUMB_TRUSTED_PROXIES": "10.0.0.0/16, 127.0.0.1/32",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Embedded() || !c.SecureCookies() || c.ShutdownTimeout != 45*time.Second || len(c.TrustedProxies) != 2 || c.BaseURL.String() != "https://crumb.example.com" {
		t.Fatalf("cluster: %+v", c)
	}
}
