package engine

import "testing"

// TestTxEffect checks how the engine reads the splitters' classification.
// The statements behind each effect (BEGIN, START TRANSACTION, COMMIT, END,
// ROLLBACK, a T-SQL batch that opens and commits a transaction of its own,
// ...) are asserted in the split tests of each dialect.
func TestTxEffect(t *testing.T) {
	tests := []struct {
		st                     Statement
		opens, closes, commits bool
	}{
		{Statement{Text: "SELECT 1"}, false, false, false},
		{Statement{Text: "BEGIN", Tx: TxBegin}, true, false, false},
		{Statement{Text: "COMMIT", Tx: TxCommit}, false, true, true},
		{Statement{Text: "ROLLBACK", Tx: TxEnd}, false, true, false},
		// Text is not looked at: the splitter classified it.
		{Statement{Text: "/* batch */ BEGIN TRAN\nINSERT INTO t VALUES (1)\nCOMMIT", Tx: TxEnd}, false, true, false},
		{Statement{Text: "-- done\nCOMMIT", Tx: TxCommit}, false, true, true},
	}
	for _, tt := range tests {
		opens, closes := txEffect(tt.st)
		if opens != tt.opens || closes != tt.closes {
			t.Errorf("txEffect(%v %q) = %v, %v; want %v, %v", tt.st.Tx, tt.st.Text, opens, closes, tt.opens, tt.closes)
		}
		if got := commits(tt.st); got != tt.commits {
			t.Errorf("commits(%v %q) = %v, want %v", tt.st.Tx, tt.st.Text, got, tt.commits)
		}
	}
}

func TestTxEffectString(t *testing.T) {
	for e, want := range map[TxEffect]string{TxNone: "TxNone", TxBegin: "TxBegin", TxCommit: "TxCommit", TxEnd: "TxEnd", 9: "TxEffect(9)"} {
		if got := e.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
