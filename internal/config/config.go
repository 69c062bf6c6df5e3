// Package config reads CrumbCommander's configuration from CRUMB_* environment
// variables. Every default is a named constant and is documented once, in the
// README's configuration table.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/crumbcommander/crumb/internal/auth"
)

// Defaults for every setting that has one.
const (
	DefaultAddr            = ":8080"
	DefaultDataDir         = "./crumb-data"
	DefaultBaseURL         = "http://localhost:8080"
	DefaultTimezone        = "America/Halifax"
	DefaultLogLevel        = "info"
	DefaultLogFormat       = "text"
	DefaultShutdownTimeout = 30 * time.Second
	DefaultDemo            = "auto"
	DefaultMailDriver      = "dev"
	DefaultMailFrom        = "CrumbCommander <no-reply@crumbcommander.local>"
	DefaultS3Prefix        = "reports/"
	DefaultWorkerConc      = 10
	DefaultSessionTTL      = 14 * 24 * time.Hour
	DefaultRequestTimeout  = 5 * time.Second
	DefaultWSMaxPerPerson  = 10
	DefaultSMSDriver       = "dev"
	// DefaultSMSMonthlyLimitUSD matches the AWS account default for SMS.
	DefaultSMSMonthlyLimitUSD = "1.00"
	// DefaultSMSPriceUSD is the price of one SMS segment (a US number).
	DefaultSMSPriceUSD = "0.00645"
)

// Config is the whole runtime configuration. It is built once by Load and
// passed down explicitly; there is no global instance.
type Config struct {
	Addr            string        // CRUMB_ADDR
	MetricsAddr     string        // CRUMB_METRICS_ADDR: empty serves /metrics on Addr
	DataDir         string        // CRUMB_DATA_DIR
	DatabaseURL     string        // CRUMB_DATABASE_URL: empty means SQLite under DataDir
	DBSecretID      string        // CRUMB_DB_SECRET_ID
	DBAppSecretID   string        // CRUMB_DB_APP_SECRET_ID: crumb migrate provisions this secret's user for the app
	DatabaseCAFile  string        // CRUMB_DATABASE_CA_FILE: verify MySQL's TLS certificate against this PEM bundle
	RedisURL        string        // CRUMB_REDIS_URL: empty means in-process Redis
	RedisSecretID   string        // CRUMB_REDIS_AUTH_SECRET_ID
	BaseURL         *url.URL      // CRUMB_BASE_URL
	Timezone        string        // CRUMB_TIMEZONE: the store's zone on first start
	AdminEmail      string        // CRUMB_ADMIN_EMAIL
	AdminPassword   string        // CRUMB_ADMIN_PASSWORD
	AdminSecretID   string        // CRUMB_ADMIN_PASSWORD_SECRET_ID: the admin's password from Secrets Manager instead
	Demo            string        // CRUMB_DEMO: auto|on|off
	LogLevel        string        // CRUMB_LOG_LEVEL
	LogFormat       string        // CRUMB_LOG_FORMAT: text|json
	ShutdownTimeout time.Duration // CRUMB_SHUTDOWN_TIMEOUT
	TrustedProxies  []netip.Prefix
	SessionTTL      time.Duration // CRUMB_SESSION_TTL
	RequestTimeout  time.Duration // CRUMB_REQUEST_TIMEOUT: bounds every API request's SQL and Redis calls
	WorkerConc      int           // CRUMB_WORKER_CONCURRENCY
	WSMaxPerPerson  int           // CRUMB_WS_MAX_PER_PERSON: sockets one person may hold on one node

	AWSRegion         string   // CRUMB_AWS_REGION
	S3Bucket          string   // CRUMB_S3_BUCKET: empty stores reports under DataDir
	S3Prefix          string   // CRUMB_S3_PREFIX
	MailDriver        string   // CRUMB_MAIL_DRIVER: dev|smtp|ses
	SMTPURL           string   // CRUMB_SMTP_URL
	MailFrom          string   // CRUMB_MAIL_FROM
	SMSDriver         string   // CRUMB_SMS_DRIVER: dev|sns|off
	SMSOrigination    string   // CRUMB_SMS_ORIGINATION_NUMBER: the E.164 number texts come from (sns)
	SMSSenderID       string   // CRUMB_SMS_SENDER_ID: an alphanumeric sender id where countries allow it (sns)
	SMSMonthlyLimit   int64    // CRUMB_SMS_MONTHLY_LIMIT_USD, in micro-USD: our own monthly SMS spend counter's limit
	SMSPrice          int64    // CRUMB_SMS_PRICE_USD, in micro-USD: what one segment costs, for that counter
	SNSTopicARN       string   // CRUMB_SNS_TOPIC_ARN
	AlarmPauseReports []string // CRUMB_ALARM_PAUSE_REPORTS
	CloudWatch        bool     // CRUMB_CLOUDWATCH
	AWSEndpointURL    string   // CRUMB_AWS_ENDPOINT_URL: overrides every AWS endpoint (tests, emulators)
	InstanceID        string   // CRUMB_INSTANCE_ID: this EC2 instance (else asked from IMDS when SNS is on)
	AutoScalingGroup  string   // CRUMB_AUTOSCALING_GROUP: the group this node's metrics are published for
	VAPIDPublicKey    string   // CRUMB_VAPID_PUBLIC_KEY
	VAPIDPrivateKey   string   // CRUMB_VAPID_PRIVATE_KEY

	// PasswordHashing is not read from the environment: the zero value
	// hashes with the production parameters. A test harness that creates
	// hundreds of people gives its own instance cheap parameters.
	PasswordHashing auth.Hasher
}

// Embedded reports whether the process runs without external services
// (SQLite and in-process Redis).
func (c *Config) Embedded() bool { return c.DatabaseURL == "" && c.RedisURL == "" }

// SQLitePath is the database file used when no CRUMB_DATABASE_URL is set.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "crumb.db") }

// SecureCookies reports whether cookies must carry the Secure flag.
func (c *Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" }

// Load reads the configuration from getenv (os.Getenv in production) and
// validates it. Every error names the variable at fault.
func Load(getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	p := parser{getenv: getenv}
	c := &Config{
		Addr:            p.str("CRUMB_ADDR", DefaultAddr),
		MetricsAddr:     p.str("CRUMB_METRICS_ADDR", ""),
		DataDir:         p.str("CRUMB_DATA_DIR", DefaultDataDir),
		DatabaseURL:     p.str("CRUMB_DATABASE_URL", ""),
		DBSecretID:      p.str("CRUMB_DB_SECRET_ID", ""),
		DBAppSecretID:   p.str("CRUMB_DB_APP_SECRET_ID", ""),
		DatabaseCAFile:  p.str("CRUMB_DATABASE_CA_FILE", ""),
		RedisURL:        p.str("CRUMB_REDIS_URL", ""),
		RedisSecretID:   p.str("CRUMB_REDIS_AUTH_SECRET_ID", ""),
		BaseURL:         p.url("CRUMB_BASE_URL", DefaultBaseURL),
		Timezone:        p.str("CRUMB_TIMEZONE", DefaultTimezone),
		AdminEmail:      p.str("CRUMB_ADMIN_EMAIL", ""),
		AdminPassword:   p.str("CRUMB_ADMIN_PASSWORD", ""),
		AdminSecretID:   p.str("CRUMB_ADMIN_PASSWORD_SECRET_ID", ""),
		Demo:            p.str("CRUMB_DEMO", DefaultDemo),
		LogLevel:        p.str("CRUMB_LOG_LEVEL", DefaultLogLevel),
		LogFormat:       p.str("CRUMB_LOG_FORMAT", DefaultLogFormat),
		ShutdownTimeout: p.duration("CRUMB_SHUTDOWN_TIMEOUT", DefaultShutdownTimeout),
		TrustedProxies:  p.prefixes("CRUMB_TRUSTED_PROXIES"),
		SessionTTL:      p.duration("CRUMB_SESSION_TTL", DefaultSessionTTL),
		RequestTimeout:  p.duration("CRUMB_REQUEST_TIMEOUT", DefaultRequestTimeout),
		WorkerConc:      p.int("CRUMB_WORKER_CONCURRENCY", DefaultWorkerConc),
		WSMaxPerPerson:  p.int("CRUMB_WS_MAX_PER_PERSON", DefaultWSMaxPerPerson),

		AWSRegion:         p.str("CRUMB_AWS_REGION", ""),
		S3Bucket:          p.str("CRUMB_S3_BUCKET", ""),
		S3Prefix:          p.str("CRUMB_S3_PREFIX", DefaultS3Prefix),
		MailDriver:        p.str("CRUMB_MAIL_DRIVER", DefaultMailDriver),
		SMTPURL:           p.str("CRUMB_SMTP_URL", ""),
		MailFrom:          p.str("CRUMB_MAIL_FROM", DefaultMailFrom),
		SMSDriver:         p.str("CRUMB_SMS_DRIVER", DefaultSMSDriver),
		SMSOrigination:    p.str("CRUMB_SMS_ORIGINATION_NUMBER", ""),
		SMSSenderID:       p.str("CRUMB_SMS_SENDER_ID", ""),
		SMSMonthlyLimit:   p.usd("CRUMB_SMS_MONTHLY_LIMIT_USD", DefaultSMSMonthlyLimitUSD),
		SMSPrice:          p.usd("CRUMB_SMS_PRICE_USD", DefaultSMSPriceUSD),
		SNSTopicARN:       p.str("CRUMB_SNS_TOPIC_ARN", ""),
		AlarmPauseReports: p.list("CRUMB_ALARM_PAUSE_REPORTS"),
		CloudWatch:        p.bool("CRUMB_CLOUDWATCH", false),
		AWSEndpointURL:    p.str("CRUMB_AWS_ENDPOINT_URL", ""),
		InstanceID:        p.str("CRUMB_INSTANCE_ID", ""),
		AutoScalingGroup:  p.str("CRUMB_AUTOSCALING_GROUP", ""),
		VAPIDPublicKey:    p.str("CRUMB_VAPID_PUBLIC_KEY", ""),
		VAPIDPrivateKey:   p.str("CRUMB_VAPID_PRIVATE_KEY", ""),
	}
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks the relations between settings. Load calls it; tests that
// build a Config by hand should too.
func (c *Config) Validate() error {
	var errs []error
	bad := func(name, format string, a ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", name, fmt.Sprintf(format, a...)))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("CRUMB_ADDR", "want host:port such as :8080, got %q", c.Addr)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("CRUMB_METRICS_ADDR", "want host:port, got %q", c.MetricsAddr)
		}
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "mysql://") && !strings.HasPrefix(c.DatabaseURL, "sqlite://") {
		bad("CRUMB_DATABASE_URL", "want mysql://user:pass@host:3306/db or sqlite:///path/file.db")
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		bad("CRUMB_REDIS_URL", "want redis://host:6379/0 or rediss://...")
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "" {
		bad("CRUMB_TIMEZONE", "unknown IANA time zone %q", c.Timezone)
	}
	hasPassword := c.AdminPassword != "" || c.AdminSecretID != ""
	switch {
	case c.AdminPassword != "" && c.AdminSecretID != "":
		bad("CRUMB_ADMIN_PASSWORD_SECRET_ID", "set CRUMB_ADMIN_PASSWORD or CRUMB_ADMIN_PASSWORD_SECRET_ID, not both")
	case (c.AdminEmail == "") != !hasPassword:
		bad("CRUMB_ADMIN_EMAIL", "CRUMB_ADMIN_EMAIL and CRUMB_ADMIN_PASSWORD (or CRUMB_ADMIN_PASSWORD_SECRET_ID) must be set together")
	}
	if c.AdminEmail != "" {
		if _, err := mail.ParseAddress(c.AdminEmail); err != nil {
			bad("CRUMB_ADMIN_EMAIL", "not an e-mail address")
		}
		if c.AdminSecretID == "" && len(c.AdminPassword) < 10 {
			bad("CRUMB_ADMIN_PASSWORD", "must be at least 10 characters")
		}
	}
	switch c.Demo {
	case "auto", "on", "off":
	default:
		bad("CRUMB_DEMO", "want auto, on or off, got %q", c.Demo)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("CRUMB_LOG_LEVEL", "want debug, info, warn or error, got %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("CRUMB_LOG_FORMAT", "want text or json, got %q", c.LogFormat)
	}
	switch c.MailDriver {
	case "dev":
	case "smtp":
		if c.SMTPURL == "" {
			bad("CRUMB_SMTP_URL", "required when CRUMB_MAIL_DRIVER=smtp")
		}
	case "ses":
		if c.AWSRegion == "" {
			bad("CRUMB_AWS_REGION", "required when CRUMB_MAIL_DRIVER=ses")
		}
	default:
		bad("CRUMB_MAIL_DRIVER", "want dev, smtp or ses, got %q", c.MailDriver)
	}
	switch c.SMSDriver {
	case "dev", "off":
	case "sns":
		if c.AWSRegion == "" {
			bad("CRUMB_AWS_REGION", "required when CRUMB_SMS_DRIVER=sns")
		}
	default:
		bad("CRUMB_SMS_DRIVER", "want dev, sns or off, got %q", c.SMSDriver)
	}
	if c.SMSOrigination != "" && !e164.MatchString(c.SMSOrigination) {
		bad("CRUMB_SMS_ORIGINATION_NUMBER", "want an E.164 number such as +18005550100")
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		bad("CRUMB_MAIL_FROM", "not an e-mail address")
	}
	if (c.S3Bucket != "" || c.CloudWatch || c.DBSecretID != "" || c.DBAppSecretID != "" || c.RedisSecretID != "" || c.AdminSecretID != "") && c.AWSRegion == "" {
		bad("CRUMB_AWS_REGION", "required when S3, CloudWatch or Secrets Manager is used")
	}
	if c.AWSEndpointURL != "" {
		if u, err := url.Parse(c.AWSEndpointURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("CRUMB_AWS_ENDPOINT_URL", "want an absolute http(s) URL")
		}
	}
	if c.SNSTopicARN != "" && c.AWSRegion == "" {
		bad("CRUMB_AWS_REGION", "required when CRUMB_SNS_TOPIC_ARN is set (the SNS certificate host is sns.<region>.amazonaws.com)")
	}
	if c.DBSecretID != "" && !strings.HasPrefix(c.DatabaseURL, "mysql://") {
		bad("CRUMB_DB_SECRET_ID", "needs CRUMB_DATABASE_URL=mysql://host:3306/db")
	}
	if c.DBAppSecretID != "" && !strings.HasPrefix(c.DatabaseURL, "mysql://") {
		bad("CRUMB_DB_APP_SECRET_ID", "needs CRUMB_DATABASE_URL=mysql://host:3306/db")
	}
	// The file itself is read when the database opens (it may be fetched
	// after the configuration is written, as the instances' boot does).
	if c.DatabaseCAFile != "" && !strings.HasPrefix(c.DatabaseURL, "mysql://") {
		bad("CRUMB_DATABASE_CA_FILE", "needs CRUMB_DATABASE_URL=mysql://host:3306/db")
	}
	if c.RedisSecretID != "" && c.RedisURL == "" {
		bad("CRUMB_REDIS_AUTH_SECRET_ID", "needs CRUMB_REDIS_URL=redis://host:6379/0 (the in-process Redis has no password)")
	}
	if (c.VAPIDPublicKey == "") != (c.VAPIDPrivateKey == "") {
		bad("CRUMB_VAPID_PUBLIC_KEY", "CRUMB_VAPID_PUBLIC_KEY and CRUMB_VAPID_PRIVATE_KEY must be set together")
	}
	if c.ShutdownTimeout <= 0 {
		bad("CRUMB_SHUTDOWN_TIMEOUT", "must be positive")
	}
	if c.RequestTimeout < 100*time.Millisecond || c.RequestTimeout > 5*time.Minute {
		bad("CRUMB_REQUEST_TIMEOUT", "must be between 100ms and 5m")
	}
	if c.SessionTTL < time.Minute {
		bad("CRUMB_SESSION_TTL", "must be at least 1m")
	}
	if c.WSMaxPerPerson < 1 {
		bad("CRUMB_WS_MAX_PER_PERSON", "must be at least 1")
	}
	if c.WorkerConc < 1 {
		bad("CRUMB_WORKER_CONCURRENCY", "must be at least 1")
	}
	return errors.Join(errs...)
}

// parser collects parse errors so that one start reports all of them.
type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

func (p *parser) fail(name, v, want string) {
	p.errs = append(p.errs, fmt.Errorf("config: %s: want %s, got %q", name, want, v))
}

// e164 is a phone number in E.164.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// usd reads a non-negative amount of US dollars as micro-USD.
func (p *parser) usd(name, def string) int64 {
	v := p.str(name, def)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1e6 {
		p.fail(name, v, "an amount of US dollars, such as 1.00")
		f, _ = strconv.ParseFloat(def, 64)
	}
	return int64(f*1e6 + 0.5)
}

func (p *parser) int(name string, def int) int {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(name, v, "an integer")
		return def
	}
	return n
}

func (p *parser) bool(name string, def bool) bool {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, v, "true or false")
		return def
	}
	return b
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.fail(name, v, "a duration such as 30s")
		return def
	}
	return d
}

func (p *parser) url(name, def string) *url.URL {
	v := p.str(name, def)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.fail(name, v, "an absolute http(s) URL")
		u, _ = url.Parse(def)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u
}

func (p *parser) list(name string) []string {
	var out []string
	for _, s := range strings.Split(p.str(name, ""), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range p.list(name) {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			p.fail(name, s, "comma-separated CIDRs")
			continue
		}
		out = append(out, pfx)
	}
	return out
}
