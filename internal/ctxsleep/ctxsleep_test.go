package ctxsleep

import (
	"context"
	"testing"
	"time"
)

// TestSleep: a done context ends the wait at once and says so; an
// unbounded wait would hang the test, not pass it.
func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("a wait that ran its course must report true")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Error("a cancelled context must end the wait and report false")
	}
	if Sleep(ctx, 0) {
		t.Error("no wait on a cancelled context must report false")
	}
}
