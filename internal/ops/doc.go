// Package ops is the operations side of a node: the SNS webhook (CloudWatch
// alarms pause and resume the reports queue; Auto Scaling termination
// notices), the lifecycle watcher that drains this instance before it
// terminates, the target-state watch that drains a serving node's sockets as
// soon as its termination starts, and the admins' view of the queues.
//
// Why ops imports worker, and not the other way round: worker owns the
// background jobs the way asynq's examples lay them out, each task type with
// its constant, payload, constructor and handler in one place, and the names
// of the queues those tasks run on. ops is a client of that contract: it
// pauses the reports queue by worker's name for it, lists worker's queues,
// and enqueues worker's alarm task (worker.NewAlarmTask, worker.EmitAlarm)
// rather than copying its type string and payload shape. worker never needs
// ops (it handles the alarm task without knowing who enqueued it), so the
// edge is one-way and a new task or queue is added in one package. Inverting
// it would move the task contract away from its handler or make worker
// depend on the webhook that only serve nodes run.
package ops
