package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/stratadb/strata/engine"
)

// memLocks serialises in-memory databases within this process; nobody else
// can reach them.
var memLocks sync.Map // key -> *sync.Mutex

// Lock implements engine.Dialect with an exclusive file lock next to the
// database (see the package documentation). The key is ignored: SQLite has
// one target per database.
func (Dialect) Lock(ctx context.Context, conn *sql.Conn, key int64, timeout time.Duration) (func(context.Context) error, error) {
	file, err := mainFile(ctx, conn)
	if err != nil {
		return nil, err
	}
	if file == "" {
		mu, _ := memLocks.LoadOrStore(key, &sync.Mutex{})
		mu.(*sync.Mutex).Lock()
		return func(context.Context) error { mu.(*sync.Mutex).Unlock(); return nil }, nil
	}
	path := file + ".strata-lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", path, err)
	}
	deadline := time.Now().Add(timeout)
	wait := 10 * time.Millisecond
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			holder := readHolder(path)
			f.Close()
			return nil, &engine.LockError{Timeout: timeout, Holder: holder}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for lock %s: %w", path, ctx.Err())
		case <-time.After(wait):
		}
		if wait < 200*time.Millisecond {
			wait *= 2
		}
	}
	host, _ := os.Hostname()
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d on %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))), 0)
	return func(context.Context) error {
		_ = f.Truncate(0) // the holder line describes a holder only while there is one
		err := unlock(f)
		return errors.Join(err, f.Close())
	}, nil
}

func readHolder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
