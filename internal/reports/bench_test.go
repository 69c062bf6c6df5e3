package reports

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/crumbcommander/crumb/internal/cloud/blob"
	"github.com/crumbcommander/crumb/internal/db"
	"github.com/crumbcommander/crumb/internal/testutil"
)

// The export benchmarks stream an attendance-shaped table (generated, not
// clocked) from SQLite through the format writers. Each
// size runs in a child process so that its peak RSS is its own.

const benchColumns = "employee_id, employee, department, shift_start, clock_in, clock_out, late_minutes, worked_hours, status"

func benchSource(d *db.DB) *SQLSource {
	return &SQLSource{DB: d, Cols: strings.Split(benchColumns, ", "), Build: func(Query) (string, []any) {
		return "SELECT " + benchColumns + " FROM bench_attendance ORDER BY id", nil
	}}
}

// fillBench makes a SQLite file with rows attendance rows.
func fillBench(tb testing.TB, path string, rows int) {
	tb.Helper()
	d, err := db.Open(context.Background(), "sqlite://"+path, db.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer d.Close()
	stmts := []string{
		`CREATE TABLE bench_attendance (id INTEGER PRIMARY KEY, employee_id INTEGER, employee TEXT, department TEXT,
			shift_start DATETIME, clock_in DATETIME, clock_out DATETIME, late_minutes INTEGER, worked_hours REAL, status TEXT)`,
		fmt.Sprintf(`WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < %d)
			INSERT INTO bench_attendance SELECT n, n %% 500, 'Employee ' || (n %% 500), 'Bakery',
			datetime('2026-01-01', '+' || (n / 500) || ' hours'), datetime('2026-01-01', '+' || (n / 500) || ' hours', '+' || (n %% 13) || ' minutes'),
			datetime('2026-01-01', '+' || (n / 500 + 8) || ' hours'), n %% 13, 7.75, CASE WHEN n %% 97 = 0 THEN 'no_show' ELSE 'worked' END FROM c`, rows),
	}
	for _, s := range stmts {
		if _, err := d.ExecContext(context.Background(), s); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestBenchExportChild is the child of BenchmarkExport: it exports and
// prints "rows seconds maxrss_kib bytes".
func TestBenchExportChild(t *testing.T) {
	spec := os.Getenv("CRUMB_BENCH_EXPORT")
	if spec == "" {
		t.Skip("child process of BenchmarkExport")
	}
	parts := strings.Split(spec, ";") // format;db path;out path
	d, err := db.Open(context.Background(), "sqlite://"+parts[1], db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	out, err := os.Create(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	start := time.Now()
	n, err := writeFormat(context.Background(), parts[0], KindAttendance, out, benchSource(d), Query{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	st, _ := out.Stat()
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("BENCH %d %.3f %d %d %.3f\n", n, el.Seconds(), ru.Maxrss, st.Size(), cpu.Seconds())
}

func BenchmarkExport(b *testing.B) {
	dir := b.TempDir()
	for _, format := range []string{FormatCSV, FormatXLSX} {
		for _, rows := range benchSizes() {
			path := filepath.Join(dir, fmt.Sprintf("bench-%d.db", rows))
			if _, err := os.Stat(path); err != nil {
				fillBench(b, path, rows)
			}
			b.Run(fmt.Sprintf("%s/%d", format, rows), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					cmd := exec.Command(os.Args[0], "-test.run=^TestBenchExportChild$", "-test.v")
					cmd.Env = append(os.Environ(), "CRUMB_BENCH_EXPORT="+format+";"+path+";"+filepath.Join(dir, "out."+format))
					outp, err := cmd.CombinedOutput()
					if err != nil {
						b.Fatalf("%v\n%s", err, outp)
					}
					var n int64
					var secs, cpu float64
					var rss, size int64
					for _, line := range strings.Split(string(outp), "\n") {
						if strings.HasPrefix(line, "BENCH ") {
							fmt.Sscanf(line, "BENCH %d %f %d %d %f", &n, &secs, &rss, &size, &cpu)
						}
					}
					b.ReportMetric(secs, "s/export")
					b.ReportMetric(cpu, "cpu-s/export")
					b.ReportMetric(float64(rss)/1024, "MiB-peak-RSS")
					b.ReportMetric(float64(size)/(1<<20), "MiB-file")
					fmt.Printf("export %-4s %8d rows: %.2f s wall (%.2f s CPU), peak RSS %.1f MiB, file %.1f MiB\n", format, n, secs, cpu, float64(rss)/1024, float64(size)/(1<<20))
				}
			})
		}
	}
}

// BenchmarkExportCSVToS3 streams 1,000,000 rows as CSV into an S3
// emulator (moto) through the multipart uploader.
func BenchmarkExportCSVToS3(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "bench.db")
	fillBench(b, path, 1_000_000)
	d, err := db.Open(context.Background(), "sqlite://"+path, db.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	client := s3.NewFromConfig(testutil.AWSConfig(b), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := testutil.UniqueName("bench")
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		b.Fatal(err)
	}
	store := blob.NewS3(client, bucket, "reports/")
	for i := 0; i < b.N; i++ {
		start := time.Now()
		pr, pw := io.Pipe()
		go func() {
			_, err := writeCSV(context.Background(), pw, benchSource(d), Query{Location: time.UTC})
			pw.CloseWithError(err)
		}()
		n, err := store.Put(context.Background(), blob.Object{Key: "bench.csv", ContentType: "text/csv"}, pr)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Printf("export csv 1000000 rows to S3 in %d-MiB parts: %.2f s, %.1f MiB (%d parts)\n",
			blob.PartSize>>20, time.Since(start).Seconds(), float64(n)/(1<<20), (n+blob.PartSize-1)/blob.PartSize)
	}
}

// benchSizes are the row counts (CRUMB_BENCH_ROWS=1000000 picks one).
func benchSizes() []int {
	if v, err := strconv.Atoi(os.Getenv("CRUMB_BENCH_ROWS")); err == nil && v > 0 {
		return []int{v}
	}
	return []int{250_000, 500_000, 1_000_000}
}
