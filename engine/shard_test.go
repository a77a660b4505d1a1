package engine_test

import (
	"fmt"
	"testing"

	"github.com/stratadb/strata/engine"
)

// TestShardOf: the split is FNV-1a of the name, so runners built from
// different releases or reading the tenants in another order agree; the n
// shards partition any list.
func TestShardOf(t *testing.T) {
	// FNV-1a 32 of "a" is 0xe40c292c (the FNV reference value): fixed, so
	// that a change of the hash shows here.
	if got, want := engine.ShardOf("a", 1<<16), int(0xe40c292c%(1<<16))+1; got != want {
		t.Errorf(`ShardOf("a", 65536) = %d, want %d`, got, want)
	}
	var names []string
	for i := range 1000 {
		names = append(names, fmt.Sprintf("tenant_%d", i))
	}
	for _, n := range []int{1, 2, 3, 4, 7} {
		seen := map[string]int{}
		for i := 1; i <= n; i++ {
			part := engine.Shard{Index: i, Count: n}.Of(names)
			if len(part) == 0 {
				t.Errorf("shard %d/%d of 1000 names is empty", i, n)
			}
			for _, s := range part {
				seen[s]++
			}
		}
		for _, s := range names {
			if seen[s] != 1 {
				t.Errorf("n=%d: %s is in %d shards, want 1", n, s, seen[s])
			}
		}
	}
}

func TestParseShard(t *testing.T) {
	if s, err := engine.ParseShard(" 2/4 "); err != nil || s != (engine.Shard{Index: 2, Count: 4}) {
		t.Errorf("ParseShard(2/4) = %v, %v", s, err)
	}
	for _, bad := range []string{"", "2", "0/4", "5/4", "1/0", "-1/2", "a/b", "1/2/3"} {
		if _, err := engine.ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) should fail", bad)
		}
	}
}
