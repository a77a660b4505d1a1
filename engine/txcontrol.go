package engine

import (
	"errors"
	"strings"

	"github.com/stratadb/strata/locations"
)

// transactional reports whether a file runs in one transaction: unless its
// directives say otherwise, when no statement read ahead controls
// transactions or refuses to run inside one. A larger file is started in a
// transaction and restarted statement by statement (after a rollback) if
// such a statement turns up later (errNeedsNoTx).
func transactional(f *locations.File, head []Statement) bool {
	if f.Directives.Transaction != nil {
		return *f.Directives.Transaction
	}
	for _, s := range head {
		if s.NoTx || s.Tx != TxNone {
			return false
		}
	}
	return true
}

// errNeedsNoTx: a statement of a large file cannot run in the transaction
// the file was started in.
var errNeedsNoTx = errors.New("statement cannot run in a transaction")

// commits reports whether a closing statement commits (COMMIT, END), as
// opposed to rolling back or preparing (a batch whose COMMIT follows other
// transaction statements of its own is TxEnd: it runs bare).
func commits(st Statement) bool {
	return st.Tx == TxCommit
}

// txEffect says whether a transaction-control statement leaves a
// transaction open or closed, as its splitter classified it (Statement.Tx):
// a single statement by its first keywords, a batch by its last
// transaction statement.
func txEffect(st Statement) (opens, closes bool) {
	return st.Tx == TxBegin, st.Tx == TxCommit || st.Tx == TxEnd
}

// skipLeadingComments drops the comments and blanks a statement starts with.
func skipLeadingComments(s string) string {
	for {
		s = strings.TrimSpace(s)
		switch {
		case strings.HasPrefix(s, "--"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return ""
			}
			s = s[i+1:]
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s, "*/")
			if i < 0 {
				return ""
			}
			s = s[i+2:]
		default:
			return s
		}
	}
}
