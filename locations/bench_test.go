package locations

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

func BenchmarkChecksum(b *testing.B) {
	for _, tt := range []struct{ name, line string }{
		{"ascii", "INSERT INTO users (id, name) VALUES (1, 'alice');\r\n"},
		{"unicode", "INSERT INTO ユーザー (id, name) VALUES (1, 'élodie');\n"},
	} {
		data := []byte(strings.Repeat(tt.line, (1<<20)/len(tt.line)))
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Checksum(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCollect(b *testing.B) {
	fsys := fstest.MapFS{}
	for i := range 5000 {
		fsys[fmt.Sprintf("dir%d/V%d__migration_%d.sql", i%10, i+1, i)] = &fstest.MapFile{
			Data: []byte(strings.Repeat("-- strata:transaction=true\nCREATE TABLE t (id int);\n", 20)),
		}
	}
	roots := []Root{{Name: "migrations", FS: fsys}}
	for b.Loop() {
		if _, err := Collect(roots, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
