package engine

import "testing"

func TestTxEffect(t *testing.T) {
	tests := []struct {
		text          string
		opens, closes bool
	}{
		{"BEGIN", true, false},
		{"START TRANSACTION ISOLATION LEVEL SERIALIZABLE", true, false},
		{"COMMIT", false, true},
		{"END", false, true},
		{"ROLLBACK", false, true},
		{"-- open it\nBEGIN TRANSACTION", true, false},
		{"/* batch */ BEGIN TRAN\nINSERT INTO t VALUES (1)\nCOMMIT", false, true},
		{"BEGIN TRAN\nUPDATE t SET x = 1\nCOMMIT\nBEGIN TRAN\nUPDATE t SET x = 2", true, false},
	}
	for _, tt := range tests {
		opens, closes := txEffect(Statement{Text: tt.text, TxControl: true})
		if opens != tt.opens || closes != tt.closes {
			t.Errorf("txEffect(%q) = %v, %v; want %v, %v", tt.text, opens, closes, tt.opens, tt.closes)
		}
	}
	if commits(Statement{Text: "BEGIN TRAN\nINSERT INTO t VALUES (1)\nCOMMIT", TxControl: true}) {
		t.Error("a batch that opens and commits its own transaction must not be taken for a bare COMMIT")
	}
	if !commits(Statement{Text: "-- done\nCOMMIT", TxControl: true}) {
		t.Error("COMMIT after a comment not recognised")
	}
}
