// Package ops is the operations side of a node: the SNS webhook (CloudWatch
// alarms pause and resume the reports queue; Auto Scaling termination
// notices), the lifecycle watcher that drains this instance before it
// terminates, and the admins' view of the queues.
package ops
