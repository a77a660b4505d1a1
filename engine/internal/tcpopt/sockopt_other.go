//go:build !linux

package tcpopt

import "time"

// setUserTimeout does nothing where TCP_USER_TIMEOUT is not available: the
// keepalive probes and the probe of silent reads still bound a partition.
func setUserTimeout(uintptr, time.Duration) error { return nil }
