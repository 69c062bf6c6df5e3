package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/crumbcommander/crumb/internal/api"
	"github.com/crumbcommander/crumb/internal/attendance"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/cloud"
	"github.com/crumbcommander/crumb/internal/cloud/blob"
	"github.com/crumbcommander/crumb/internal/cloud/mail"
	"github.com/crumbcommander/crumb/internal/cloud/metrics"
	"github.com/crumbcommander/crumb/internal/cloud/scaling"
	"github.com/crumbcommander/crumb/internal/cloud/secrets"
	"github.com/crumbcommander/crumb/internal/cloud/sms"
	"github.com/crumbcommander/crumb/internal/cloud/sns"
	"github.com/crumbcommander/crumb/internal/config"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/notify"
	"github.com/crumbcommander/crumb/internal/ops"
	"github.com/crumbcommander/crumb/internal/reports"
	"github.com/crumbcommander/crumb/worker"
)

// Fleet holds the worker-side adapters: queue clients, mail,
// report storage, CloudWatch, the SNS webhook and the lifecycle watcher.
type Fleet struct {
	Tasks     *asynq.Client
	Inspector *asynq.Inspector
	Notify    *notify.Store
	Mail      mail.Sender
	Mailbox   *mail.DevBox // set with the dev driver
	SMS       sms.Sender   // nil with CRUMB_SMS_DRIVER=off
	Blob      blob.Store
	Files     http.Handler // dir storage's signed downloads
	Reports   *reports.Service
	Metrics   worker.MetricsPublisher
	SNSHook   api.SNSHook
	Lifecycle *ops.Lifecycle
	// TargetState reads this instance's Auto Scaling target lifecycle state
	// (set with Lifecycle, on EC2).
	TargetState func(ctx context.Context) (string, error)
	// TargetInterval is how often a serving node reads it (0: ops.DefaultTargetInterval).
	TargetInterval time.Duration
	// drain is closed when a termination notice asks the worker to stop.
	drain     chan struct{}
	inFlight  atomic.Int64
	awsConfig *aws.Config
}

// awsCfg loads the AWS configuration once.
func (a *App) awsCfg(ctx context.Context) (aws.Config, error) {
	if a.Fleet != nil && a.Fleet.awsConfig != nil {
		return *a.Fleet.awsConfig, nil
	}
	cfg, err := cloud.AWSConfig(ctx, a.Cfg.AWSRegion, a.Cfg.AWSEndpointURL)
	if err != nil {
		return cfg, err
	}
	if a.Fleet != nil {
		a.Fleet.awsConfig = &cfg
	}
	return cfg, nil
}

// secret is the Secrets Manager secret id, read through this node's AWS
// configuration. It is used before the Fleet (and its cached AWS
// configuration) exists: the database and Redis open first.
func (a *App) secret(ctx context.Context, id string) (*secrets.Secret, error) {
	cfg, err := cloud.AWSConfig(ctx, a.Cfg.AWSRegion, a.Cfg.AWSEndpointURL)
	if err != nil {
		return nil, err
	}
	return &secrets.Secret{API: secretsmanager.NewFromConfig(cfg), ID: id}, nil
}

// dbCredentials returns the Secrets Manager credentials function, or nil
// without CRUMB_DB_SECRET_ID.
func (a *App) dbCredentials(ctx context.Context) (db.CredentialsFunc, error) {
	if a.Cfg.DBSecretID == "" {
		return nil, nil
	}
	s, err := a.secret(ctx, a.Cfg.DBSecretID)
	if err != nil {
		return nil, err
	}
	creds := secrets.DBCredentials(s)
	if _, _, err := creds(ctx, false); err != nil { // fetched at start: fail fast
		return nil, err
	}
	return creds, nil
}

// EnsureAppUser provisions the app's own MySQL account from the secret
// CRUMB_DB_APP_SECRET_ID names (crumb migrate, run with the admin
// credentials): db.EnsureAppUser, TLS required when this connection
// verifies it. It returns the account's name; without the setting it does
// nothing and returns "".
func (a *App) EnsureAppUser(ctx context.Context) (string, error) {
	if a.Cfg.DBAppSecretID == "" {
		return "", nil
	}
	s, err := a.secret(ctx, a.Cfg.DBAppSecretID)
	if err != nil {
		return "", err
	}
	user, password, err := secrets.DBCredentials(s)(ctx, false)
	if err != nil {
		return "", fmt.Errorf("app: the app user's secret: %w", err)
	}
	if err := a.DB.EnsureAppUser(ctx, user, password, a.Cfg.DatabaseCAFile != ""); err != nil {
		return "", err
	}
	return user, nil
}

// redisSecret returns the cached ElastiCache AUTH token secret, or nil
// without CRUMB_REDIS_AUTH_SECRET_ID. It is fetched here to fail fast.
func (a *App) redisSecret(ctx context.Context) (*secrets.Secret, error) {
	if a.Cfg.RedisSecretID == "" {
		return nil, nil
	}
	s, err := a.secret(ctx, a.Cfg.RedisSecretID)
	if err != nil {
		return nil, err
	}
	if _, err := secrets.Password(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// openFleet builds the worker-side adapters from the configuration.
func (a *App) openFleet(ctx context.Context) error {
	f := &Fleet{drain: make(chan struct{})}
	a.Fleet = f
	f.Tasks = asynq.NewClient(a.RedisOpt)
	f.Inspector = asynq.NewInspector(a.RedisOpt)
	if err := a.openMail(ctx, f); err != nil {
		return err
	}
	if err := a.openSMS(ctx, f); err != nil {
		return err
	}
	f.Notify = &notify.Store{DB: a.DB, Clock: a.Clock, Writer: a.Writer, SMS: f.SMS, BaseURL: a.Cfg.BaseURL.String(),
		Zone: func(ctx context.Context) (*time.Location, error) {
			st, err := a.People.GetStore(ctx)
			return st.Location(), err
		}}
	if err := a.openBlob(ctx, f); err != nil {
		return err
	}
	f.Reports = &reports.Service{W: a.Writer, Queue: worker.ReportQueue{Client: f.Tasks}, Blob: f.Blob,
		Sources: reportSources(a), InFlight: func(d int) { f.inFlight.Add(int64(d)) }}
	if a.Cfg.CloudWatch {
		cfg, err := a.awsCfg(ctx)
		if err != nil {
			return err
		}
		f.Metrics = metrics.Publisher{API: cloudwatch.NewFromConfig(cfg)}
	}
	if a.Cfg.SNSTopicARN != "" {
		if err := a.openSNS(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

func (a *App) openMail(ctx context.Context, f *Fleet) error {
	switch a.Cfg.MailDriver {
	case "smtp":
		s, err := mail.NewSMTP(a.Cfg.SMTPURL, a.Cfg.MailFrom)
		if err != nil {
			return err
		}
		f.Mail = s
	case "ses":
		cfg, err := a.awsCfg(ctx)
		if err != nil {
			return err
		}
		f.Mail = &mail.SES{API: sesv2.NewFromConfig(cfg), From: a.Cfg.MailFrom}
	default:
		f.Mailbox = &mail.DevBox{DB: a.DB, Clock: a.Clock}
		f.Mail = f.Mailbox
	}
	return nil
}

// openSMS picks the SMS sender (SNS, or the dev mailbox beside the
// e-mails) behind our monthly spend counter.
func (a *App) openSMS(ctx context.Context, f *Fleet) error {
	var next sms.Sender
	switch a.Cfg.SMSDriver {
	case "off":
		return nil
	case "sns":
		cfg, err := a.awsCfg(ctx)
		if err != nil {
			return err
		}
		next = &sms.SNS{API: awssns.NewFromConfig(cfg), OriginationNumber: a.Cfg.SMSOrigination, SenderID: a.Cfg.SMSSenderID}
	default:
		next = &sms.DevBox{DB: a.DB, Clock: a.Clock}
	}
	f.SMS = &sms.Metered{Next: next, DB: a.DB, Clock: a.Clock, LimitMicroUSD: a.Cfg.SMSMonthlyLimit, PriceMicroUSD: a.Cfg.SMSPrice}
	return nil
}

func (a *App) openBlob(ctx context.Context, f *Fleet) error {
	if a.Cfg.S3Bucket != "" {
		cfg, err := a.awsCfg(ctx)
		if err != nil {
			return err
		}
		client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = a.Cfg.AWSEndpointURL != "" })
		f.Blob = blob.NewS3(client, a.Cfg.S3Bucket, a.Cfg.S3Prefix)
		return nil
	}
	key, err := signingKey(filepath.Join(a.Cfg.DataDir, "files.key"))
	if err != nil {
		return err
	}
	d := &blob.Dir{Root: filepath.Join(a.Cfg.DataDir, "reports"), BaseURL: a.Cfg.BaseURL.String(), Key: key, Clock: a.Clock}
	f.Blob, f.Files = d, d
	// A process killed mid-export leaves its temporary file behind.
	if n, err := d.RemoveStaleUploads(blob.StaleUploadAge); err != nil {
		a.Log.Warn("stale uploads not removed", "err", err)
	} else if n > 0 {
		a.Log.Info("stale uploads removed", "files", n)
	}
	return nil
}

// signingKey loads (or makes, readable by the owner only) the key that signs
// local download links.
func signingKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(b) >= 32 {
		return b, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("app: signing key: %w", err)
	}
	b = make([]byte, 32)
	rand.Read(b)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("app: signing key: %w", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("app: signing key: %w", err)
	}
	return b, nil
}

func (a *App) openSNS(ctx context.Context, f *Fleet) error {
	cfg, err := a.awsCfg(ctx)
	if err != nil {
		return err
	}
	f.SNSHook = &ops.Hook{Verifier: &sns.Verifier{Region: a.Cfg.AWSRegion, Endpoint: a.Cfg.AWSEndpointURL}, TopicARN: a.Cfg.SNSTopicARN,
		PauseAlarms: a.Cfg.AlarmPauseReports, Queues: f.Inspector, Tasks: f.Tasks, Writer: a.Writer,
		Redis: a.Redis, Log: a.Log, Clock: a.Clock, SMS: f.Notify}
	id := instanceID(ctx, a.Cfg, cfg)
	if id == "" {
		a.Log.Info("not on EC2 (no instance id); lifecycle hooks are off")
	}
	f.Lifecycle = &ops.Lifecycle{Redis: a.Redis, InstanceID: id, Completer: scaling.Completer{API: autoscaling.NewFromConfig(cfg)},
		DrainTimeout: a.Cfg.ShutdownTimeout, Log: a.Log}
	md := imds.NewFromConfig(cfg)
	f.TargetState = func(ctx context.Context) (string, error) {
		return metadata(ctx, md, "autoscaling/target-lifecycle-state")
	}
	return nil
}

// instanceID is this EC2 instance's id: CRUMB_INSTANCE_ID, else asked from
// the instance metadata service; "" when not on EC2.
func instanceID(ctx context.Context, c *config.Config, cfg aws.Config) string {
	if c.InstanceID != "" {
		return c.InstanceID
	}
	id, err := metadata(ctx, imds.NewFromConfig(cfg), "instance-id")
	if err != nil {
		return ""
	}
	return id
}

// metadata reads one short instance metadata value, waiting 2 s at most.
func metadata(ctx context.Context, md *imds.Client, path string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, err := md.GetMetadata(ctx, &imds.GetMetadataInput{Path: path})
	if err != nil {
		return "", err
	}
	defer out.Content.Close()
	var b [64]byte
	n, _ := io.ReadFull(out.Content, b[:])
	return strings.TrimSpace(string(b[:n])), nil
}

// MarkUnhealthy tells this instance's Auto Scaling group to replace it
// ("crumb unhealthy": crumb-unhealthy.service runs it when crumb-serve or
// crumb-worker gave up restarting). It opens neither the database nor
// Redis, which may be why the process failed. Off EC2 it does nothing and
// says so.
func MarkUnhealthy(ctx context.Context, c *config.Config) (string, error) {
	cfg, err := cloud.AWSConfig(ctx, c.AWSRegion, c.AWSEndpointURL)
	if err != nil {
		return "", err
	}
	id := instanceID(ctx, c, cfg)
	if id == "" {
		return "", nil
	}
	return id, scaling.MarkUnhealthy(ctx, autoscaling.NewFromConfig(cfg), id)
}

// workerDrainer stops the worker from taking new tasks.
type workerDrainer struct{ f *Fleet }

func (w workerDrainer) Drain(ctx context.Context) error {
	select {
	case <-w.f.drain:
	default:
		close(w.f.drain)
	}
	return nil
}

func (f *Fleet) close() {
	if f.Tasks != nil {
		f.Tasks.Close()
	}
	if f.Inspector != nil {
		f.Inspector.Close()
	}
}

// watchLifecycle runs the termination-notice watcher (when SNS is on and
// this is an EC2 instance): it drains the registered drainers (the hub adds
// itself with AddDrainer), the worker, completes the action, then stops the
// process through stop.
func (a *App) watchLifecycle(ctx context.Context, stop context.CancelFunc, wg *sync.WaitGroup, serving, withWorker bool) {
	l := a.Fleet.Lifecycle
	if l == nil || l.InstanceID == "" {
		return
	}
	if serving {
		l.Drainers = append(l.Drainers, a) // the hub's sockets first
	}
	if withWorker {
		l.Drainers = append(l.Drainers, workerDrainer{a.Fleet})
	}
	l.Done = stop
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.Run(ctx)
	}()
	if serving && a.Fleet.TargetState != nil {
		// Sockets go before the load balancer's deregistration delay ends,
		// whichever of hook and SIGTERM comes first (ops.TargetWatch).
		w := &ops.TargetWatch{State: a.Fleet.TargetState, Drainers: []ops.Drainer{a}, DrainTimeout: a.Cfg.ShutdownTimeout,
			Interval: a.Fleet.TargetInterval, Log: a.Log}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.Run(ctx)
		}()
	}
}

var _ ops.Drainer = (*App)(nil)

// nodeName names this node in metrics: the instance id, else the host name.
func (a *App) nodeName() string {
	if a.Fleet.Lifecycle != nil && a.Fleet.Lifecycle.InstanceID != "" {
		return a.Fleet.Lifecycle.InstanceID
	}
	h, _ := os.Hostname()
	return h
}

// gauges are this node's CloudWatch gauges; a node that serves sockets
// (the hub is started) reports them for its Auto Scaling group.
func (a *App) gauges() *worker.Gauges {
	g := &worker.Gauges{Node: a.nodeName(), Group: a.Cfg.AutoScalingGroup,
		ExportsInFlight: func() int { return int(a.Fleet.inFlight.Load()) }}
	if a.Hub != nil {
		g.ConnectedSockets = a.connectedSockets
	}
	return g
}

// connectedSockets is this node's open WebSocket count (0 on a worker node).
func (a *App) connectedSockets() int {
	if a.Hub == nil {
		return 0
	}
	return a.Hub.Stats().Conns
}

// clockIns reads the attendance records once their tables exist; before,
// no-show checks stand down (logged).
func (a *App) clockIns() worker.ClockIns { return attendanceClockIns{a.Attendance} }

// attendanceClockIns lets the worker's no-show check ask the attendance
// domain, which owns the records.
type attendanceClockIns struct{ svc *attendance.Service }

func (c attendanceClockIns) ClockedIn(ctx context.Context, s worker.Shift, employeeID int64) (bool, error) {
	return c.svc.ClockedIn(ctx, s.ID, employeeID)
}

// reportSources are the report kinds' sources: the roster's and
// attendance's, and labor's payroll.
func reportSources(a *App) map[string]reports.Source {
	src := reports.Sources(a.DB, a.Clock)
	for k, v := range a.Labor.PayrollSources() {
		src[k] = v
	}
	return src
}
