package server

import (
	"testing"

	"go.uber.org/goleak"
)

// Every stream, cancellation and error path in this package's tests must leave no goroutine behind. Idle
// keep-alive connections of the shared test client are not leaks.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}
