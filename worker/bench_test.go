package worker_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crumbcommander/crumb/internal/testutil"
	"github.com/crumbcommander/crumb/worker"
)

// BenchmarkEnqueueToStart enqueues 200 tasks/s for 5 s on real Redis and
// prints the delay from enqueue to handler start (p50, p99, max).
func BenchmarkEnqueueToStart(b *testing.B) {
	_, n := testutil.Redis(b)
	opt := asynq.RedisClientOpt{Addr: testutil.RedisAddr(), DB: n}
	for i := 0; i < b.N; i++ {
		const rate, total = 200, 1000
		var mu sync.Mutex
		lat := make([]time.Duration, 0, total)
		done := make(chan struct{})
		mux := asynq.NewServeMux()
		mux.HandleFunc("bench:noop", func(ctx context.Context, t *asynq.Task) error {
			sent := time.Unix(0, int64(binary.BigEndian.Uint64(t.Payload())))
			mu.Lock()
			lat = append(lat, time.Since(sent))
			if len(lat) == total {
				close(done)
			}
			mu.Unlock()
			return nil
		})
		srv := asynq.NewServer(opt, worker.ServerConfig(slog.New(slog.NewTextHandler(io.Discard, nil)), 10, time.Second))
		if err := srv.Start(mux); err != nil {
			b.Fatal(err)
		}
		client := asynq.NewClient(opt)
		tick := time.NewTicker(time.Second / rate)
		for j := 0; j < total; j++ {
			<-tick.C
			p := make([]byte, 8)
			binary.BigEndian.PutUint64(p, uint64(time.Now().UnixNano()))
			if _, err := client.Enqueue(asynq.NewTask("bench:noop", p), asynq.Queue(worker.QueueCritical)); err != nil {
				b.Fatal(err)
			}
		}
		tick.Stop()
		<-done
		srv.Shutdown()
		client.Close()
		slices.Sort(lat)
		q := func(f float64) time.Duration { return lat[int(f*float64(len(lat)-1))] }
		b.ReportMetric(float64(q(0.99).Milliseconds()), "p99-ms")
		fmt.Printf("enqueue-to-start at %d tasks/s (TaskCheckInterval %v): p50 %v, p99 %v, max %v\n",
			rate, worker.TaskCheckInterval, q(0.5).Round(time.Millisecond), q(0.99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	}
}

// BenchmarkNoopThroughput fills the queue with 20,000 no-op tasks, then
// measures how fast a worker drains them.
func BenchmarkNoopThroughput(b *testing.B) {
	_, n := testutil.Redis(b)
	opt := asynq.RedisClientOpt{Addr: testutil.RedisAddr(), DB: n}
	const total = 20000
	for i := 0; i < b.N; i++ {
		client := asynq.NewClient(opt)
		var wg sync.WaitGroup
		for w := 0; w < 16; w++ { // enqueue in parallel
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < total/16; j++ {
					client.Enqueue(asynq.NewTask("bench:noop", nil), asynq.Queue(worker.QueueDefault))
				}
			}()
		}
		wg.Wait()
		client.Close()
		var count atomic.Int64
		done := make(chan struct{})
		mux := asynq.NewServeMux()
		mux.HandleFunc("bench:noop", func(context.Context, *asynq.Task) error {
			if count.Add(1) == total/16*16 {
				close(done)
			}
			return nil
		})
		srv := asynq.NewServer(opt, worker.ServerConfig(slog.New(slog.NewTextHandler(io.Discard, nil)), 64, time.Second))
		start := time.Now()
		if err := srv.Start(mux); err != nil {
			b.Fatal(err)
		}
		<-done
		el := time.Since(start)
		srv.Shutdown()
		rate := float64(total/16*16) / el.Seconds()
		b.ReportMetric(rate, "tasks/s")
		fmt.Printf("no-op throughput (concurrency 64): %d tasks in %.2f s = %.0f tasks/s\n", total/16*16, el.Seconds(), rate)
	}
}
