// Package faultsuite holds the fault suite, a test only: a cluster of real
// "crumb serve" and "crumb worker" processes (the test binary started again
// as each) on MariaDB and Redis behind fault proxies, under a steady write
// load with WebSocket subscribers, through database and Redis cuts, delays
// and blackholes and kill -9 of either process. It counts writes
// acknowledged against rows stored and events delivered, and fails on any
// write missing or doubled, any event missing or doubled, any work left
// stuck, or any 500. docs/failure.md explains it and lists its numbers.
package faultsuite
