package engine

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard is one share of an env's tenants, for a rollout split across
// runners (CI jobs, Kubernetes pods): shard Index of Count takes the
// tenants whose ShardOf is Index. The split depends only on the tenant's
// name, so every runner computes the same one whatever the order in which
// it lists the tenants, and the Count shards cover every tenant exactly
// once. Overlapping runners (a runner without a shard, or two with the
// same one) stay correct: each tenant is still migrated under its lock.
type Shard struct {
	Index, Count int // 1 <= Index <= Count
}

// ShardOf returns the shard (1 to count) that tenant belongs to: FNV-1a
// (32 bits) of its name, modulo count, plus one.
func ShardOf(tenant string, count int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(tenant)) // a hash never fails
	return int(h.Sum32()%uint32(count)) + 1
}

// ParseShard reads "i/n", e.g. "2/4".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q is not i/n: give this runner's share and the number of runners, e.g. 2/4", s)
	}
	sh := Shard{Index: i, Count: n}
	return sh, sh.check()
}

func (s Shard) check() error {
	if s.Count < 1 || s.Index < 1 || s.Index > s.Count {
		return fmt.Errorf("shard %d/%d: i/n needs 1 <= i <= n, e.g. 1/4 to 4/4 for four runners", s.Index, s.Count)
	}
	return nil
}

// String is "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Of returns the tenants of names in shard s, in their order.
func (s Shard) Of(names []string) []string {
	var out []string
	for _, n := range names {
		if ShardOf(n, s.Count) == s.Index {
			out = append(out, n)
		}
	}
	return out
}

// WithShard restricts a run over tenants to one shard of them (see Shard).
// A shard that holds none of the tenants is a run with nothing to do.
func WithShard(s Shard) Option {
	return option("shard", "WithShard", func(m *Migrator) error {
		if err := s.check(); err != nil {
			return err
		}
		m.shard = s
		return nil
	})
}

// errShardWithoutTenants is WithShard on a Migrator without tenants.
var errShardWithoutTenants = errors.New("shard: the run has no tenants to split (WithShard needs WithTenantSource)")
