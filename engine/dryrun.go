package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Script is one pending migration of one target as a run would execute it.
type Script struct {
	Target    string
	Migration *Entry
	// Transactional reports whether the statements run in one transaction
	// with the history row; otherwise they run one by one.
	Transactional bool
	// Statements are the file's statements with placeholders replaced, in
	// the order and form the dialect receives them.
	Statements []string
}

// DryRun calls each with every pending migration of the plan, in the order
// Apply would run them, without changing anything: no lock is taken and no
// table is created. The statements are held one migration at a time.
func (m *Migrator) DryRun(ctx context.Context, p *Plan, each func(Script) error) error {
	return m.runOf(p).dryRun(ctx, p, each)
}

func (m *run) dryRun(ctx context.Context, p *Plan, each func(Script) error) error {
	for _, tp := range p.Targets {
		if tp.NonEmpty != nil {
			continue // refused: Apply leaves it untouched
		}
		s := p.session
		s.Schema, s.Target = tp.Target.Schema, tp.Target.Name
		for _, e := range tp.Pending {
			if err := ctx.Err(); err != nil {
				return err
			}
			sc, err := m.openScript(s, tp.Target, e.File, p.start)
			if err != nil {
				return err
			}
			sr := m.dialect.Split(sc)
			out := Script{Target: tp.Target.Name, Migration: e}
			var stmts []Statement
			for {
				st, err := sr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					sc.Close()
					return fmt.Errorf("dry run %s (target %s): %w", e.File.Path(), tp.Target.Name, err)
				}
				stmts = append(stmts, st)
				out.Statements = append(out.Statements, st.Text)
			}
			sc.Close()
			out.Transactional = transactional(e.File, stmts) && e.Row == nil
			if e.Row != nil { // resuming a failed non-transactional run
				out.Statements = out.Statements[min(e.Row.Progress, len(out.Statements)):]
			}
			if err := each(out); err != nil {
				return err
			}
		}
	}
	return nil
}
