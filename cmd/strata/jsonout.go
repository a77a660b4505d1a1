package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
	"github.com/stratadb/strata/schemas"
)

// The JSON contract of --format json: every command prints exactly one
// jsonEnvelope on stdout, on success and on failure (also when it fails
// before it could start: flags, configuration, database). Its JSON Schema is
// docs/schema/strata-output.schema.json; TestJSONSchema validates every
// command's output against it.

// jsonEnvelope is the one document a command prints with --format json.
type jsonEnvelope struct {
	// Command is the command that ran (migrate, info, ...); nil when the
	// command line named none that exists.
	Command *string `json:"command"`
	// Env is the env the command worked on; nil when it is unknown (the
	// configuration could not be read and no --env was given).
	Env     *string `json:"env"`
	Success bool    `json:"success"`
	// Result is the command's own result, also on failure when the
	// command got far enough to have one (migrate's targets, validate's
	// findings, info's targets); nil otherwise.
	Result   any           `json:"result"`
	Error    *jsonError    `json:"error"`
	Warnings []jsonProblem `json:"warnings"`
}

// jsonError is a failure as data. Code names the kind of failure (see
// errorCode); ExitCode is the process's exit code. File, Line, Column,
// SQLState and Target are null when the failure has none; for a failure
// with several problems (undefined placeholders, validation findings,
// configuration diagnostics) they are those of the first, and Problems
// lists all.
type jsonError struct {
	Code     string  `json:"code"`
	ExitCode int     `json:"exitCode"`
	Message  string  `json:"message"`
	File     *string `json:"file"`
	Line     *int    `json:"line"`
	Column   *int    `json:"column"`
	SQLState *string `json:"sqlstate"`
	Target   *string `json:"target"`
	// The database's detail and hint, and the failing statement.
	Detail    string `json:"detail,omitempty"`
	Hint      string `json:"hint,omitempty"`
	Statement string `json:"statement,omitempty"`
	// A failed callback: the migrations this run committed before it
	// (they stay applied) and the pending ones it did not apply.
	Applied    []string      `json:"applied,omitempty"`
	NotApplied []string      `json:"notApplied,omitempty"`
	Problems   []jsonProblem `json:"problems,omitempty"`
	Partial    *jsonPartial  `json:"partial,omitempty"`
	// OutcomeUnknown: the connection was lost after a migration's COMMIT
	// was sent; the next run finds out from the history.
	OutcomeUnknown bool `json:"outcomeUnknown,omitempty"`
	// SentWith: the migrations sent in the same request after the one
	// whose outcome is unknown; theirs is unknown too.
	SentWith []string `json:"sentWith,omitempty"`
}

// jsonProblem is one problem of an error, or one warning.
type jsonProblem struct {
	Code    *string `json:"code"`
	Message string  `json:"message"`
	File    *string `json:"file"`
	Line    *int    `json:"line"`
	Column  *int    `json:"column"`
	Target  *string `json:"target"`
}

// jsonPartial is what a failed non-transactional file left applied.
type jsonPartial struct {
	Script            string            `json:"script"`
	StatementsApplied int               `json:"statementsApplied"`
	Statements        int               `json:"statements,omitempty"`
	FailedStatement   int               `json:"failedStatement,omitempty"`
	Applied           []jsonStatementID `json:"applied"`
	MoreApplied       int               `json:"moreApplied,omitempty"`
	RolledBack        bool              `json:"rolledBack"`
	Next              string            `json:"next,omitempty"`
}

type jsonStatementID struct {
	Number int    `json:"number"`
	Line   int    `json:"line,omitempty"`
	Text   string `json:"text"`
}

// Error codes of jsonError.Code, documented in the README and the schema.
const (
	codeUsage          = "USAGE_ERROR"
	codeConfig         = "CONFIG_INVALID"
	codeFiles          = "FILES_INVALID"
	codeTenants        = "TENANTS_INVALID"
	codeNotConfirmed   = "CONFIRMATION_REQUIRED"
	codeMigration      = "MIGRATION_FAILED"
	codeCallback       = "CALLBACK_FAILED"
	codeValidation     = "VALIDATION_FAILED"
	codeTargetProblems = "TARGET_PROBLEMS"
	codeOutOfOrder     = "OUT_OF_ORDER"
	codePlaceholder    = "PLACEHOLDER_UNDEFINED"
	codeRawTenant      = "RAW_TENANT_PLACEHOLDER"
	codeNonEmpty       = "SCHEMA_NOT_EMPTY"
	codeUnacknowledged = "UNACKNOWLEDGED"
	codeLayout         = "LAYOUT_TOO_NEW"
	codeLocked         = "LOCKED"
	codeUnreachable    = "UNREACHABLE"
	codeAuth           = "LOGIN_REFUSED"
	codeNoDatabase     = "DATABASE_MISSING"
	codeInterrupted    = "INTERRUPTED"
	codeFailed         = "FAILED"
	codeUndoRefused    = "UNDO_REFUSED"
	codeLintFailed     = "LINT_FAILED"
)

// errNotConfirmed marks a destructive command refused for want of a
// confirmation.
var errNotConfirmed = errors.New("not confirmed")

// notConfirmed is an error whose message is msg and which matches
// errNotConfirmed.
type notConfirmed struct{ msg string }

func (e *notConfirmed) Error() string        { return e.msg }
func (e *notConfirmed) Is(target error) bool { return target == errNotConfirmed }

// jsonRequested reports whether args ask for --format json, for a command
// line that failed before cobra read its flags (an unknown command).
func jsonRequested(args []string) bool {
	for i, arg := range args {
		if arg == "--" {
			break
		}
		if arg == "--format=json" || arg == "--format" && i+1 < len(args) && args[i+1] == "json" {
			return true
		}
	}
	return false
}

// writeEnvelope prints the one JSON document of a run in JSON mode: the
// result the command left in a.result, and err, with which the process
// exits code.
func (a *app) writeEnvelope(command string, err error, code int) {
	out := jsonEnvelope{Success: err == nil, Result: a.result, Warnings: []jsonProblem{}}
	seen := map[string]bool{} // a command that reads the files twice warns once
	for _, w := range a.warnings {
		file := ""
		if w.File != nil {
			file = *w.File
		}
		if k := file + "\x00" + w.Message; !seen[k] {
			seen[k] = true
			out.Warnings = append(out.Warnings, w)
		}
	}
	if command != "" {
		out.Command = &command
	}
	switch {
	case a.scoped:
		// Several envs: result.scopes names each.
	case a.cfg != nil && a.cfg.Env != nil:
		out.Env = &a.cfg.Env.Name
	case a.envName != "":
		out.Env = &a.envName
	}
	if err != nil {
		out.Error = a.jsonErrorOf(err, code)
	}
	if werr := a.writeJSON(out); werr != nil {
		fmt.Fprintf(a.stderr, "error: write the JSON output: %v\n", werr)
	}
}

// jsonErrorOf is the JSON form of err, with which the process exits code:
// the fields the typed errors carry, the message as the text output shows
// it (secrets masked, advice in the CLI's words).
func (a *app) jsonErrorOf(err error, code int) *jsonError {
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		// Already shown on stderr (diagnostics, a url): what was
		// recorded then.
		je := &jsonError{Code: errorCode(err, code), Message: "see the diagnostics on stderr"}
		if a.failure != nil {
			c := *a.failure
			je = &c
		}
		je.ExitCode = code
		if code == exitInterrupted {
			je.Code = codeInterrupted
		}
		return je
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		if parts := j.Unwrap(); len(parts) > 1 {
			return a.jsonJoined(err, parts, code)
		} else if len(parts) == 1 {
			err = parts[0]
		}
	}
	je := &jsonError{Code: errorCode(err, code), ExitCode: code, Message: a.shown(err.Error())}
	var me *engine.MigrationError
	var ce *engine.CallbackError
	var pe *engine.PlaceholderError
	var ue *placeholders.UndefinedError
	var ve *engine.ValidationError
	var oe *engine.OrderError
	var le *engine.LockError
	var nee *engine.NonEmptySchemaError
	var rte *engine.RawTenantError
	var lim *engine.LimitError
	var de *locations.DuplicateError
	var ne *locations.NamingError
	var dire *locations.DirectiveError
	var ence *locations.EncodingError
	var uoe *locations.UndoOverrideError
	var ack *locations.AckError
	var sum *locations.SumError
	var lf *lintFailed
	switch {
	case errors.As(err, &ack):
		for _, c := range ack.Changes {
			je.Problems = append(je.Problems, jsonProblem{Message: c.Kind + " since the last strata ack", File: strOrNil(c.Path())})
		}
	case errors.As(err, &sum):
		je.File, je.Line = strOrNil(sum.Path), intOrNil(sum.Line)
	case errors.As(err, &lf):
		for _, f := range lf.findings {
			if f.Severity != "error" {
				continue
			}
			je.Problems = append(je.Problems, jsonProblem{Code: strOrNil(f.Rule), Message: a.shown(f.Message) + "; fix: " + f.Fix,
				File: strOrNil(f.File), Line: intOrNil(f.Line), Column: intOrNil(f.Column)})
		}
		if len(je.Problems) > 0 {
			je.File, je.Line, je.Column = je.Problems[0].File, je.Problems[0].Line, je.Problems[0].Column
		}
	case errors.As(err, &me):
		je.File, je.Target = strOrNil(me.Path), strOrNil(me.Target)
		je.Line, je.Column = intOrNil(me.Line), intOrNil(me.Column)
		je.SQLState = strOrNil(me.Code)
		je.Detail, je.Hint, je.Statement = a.shown(me.Detail), a.shown(me.Hint), a.shown(me.Statement)
		je.OutcomeUnknown, je.SentWith = me.OutcomeUnknown, me.SentWith
		if p := me.Partial; p != nil {
			jp := &jsonPartial{Script: me.Path, StatementsApplied: p.Applied, Statements: p.Total, FailedStatement: p.Failed,
				Applied: []jsonStatementID{}, MoreApplied: p.More, Next: a.shown(me.Advice)}
			for _, s := range p.Statements {
				jp.Applied = append(jp.Applied, jsonStatementID{Number: s.Number, Line: s.Line, Text: a.shown(s.Text)})
			}
			je.Partial = jp
		}
	case errors.As(err, &ce):
		je.File, je.Target = strOrNil(ce.Path), strOrNil(ce.Target)
		je.Line, je.Column = intOrNil(ce.Line), intOrNil(ce.Column)
		je.SQLState = strOrNil(ce.Code)
		je.Detail, je.Hint, je.Statement = a.shown(ce.Detail), a.shown(ce.Hint), a.shown(ce.Statement)
		je.Applied, je.NotApplied = ce.Applied, ce.NotApplied
	case errors.As(err, &pe):
		for _, it := range pe.Items {
			je.Problems = append(je.Problems, jsonProblem{Message: a.shown(fmt.Sprintf("undefined placeholder %s", it.Name)),
				File: strOrNil(it.Path), Line: intOrNil(it.Line), Column: intOrNil(it.Column), Target: strOrNil(it.Target)})
		}
	case errors.As(err, &ue):
		for _, it := range ue.Items {
			je.Problems = append(je.Problems, jsonProblem{Message: a.shown(fmt.Sprintf("undefined placeholder %s", it.Name)),
				Line: intOrNil(it.Line), Column: intOrNil(it.Column)})
		}
	case errors.As(err, &ve):
		for _, f := range ve.Findings {
			je.Problems = append(je.Problems, jsonProblem{Code: strOrNil(f.Code), Message: a.shown(f.Message), Target: strOrNil(f.Target)})
		}
	case errors.As(err, &oe):
		for _, it := range oe.Items {
			je.Problems = append(je.Problems, jsonProblem{Message: a.shown(fmt.Sprintf("version %s would be applied below version %s", it.Version, it.Highest)),
				File: strOrNil(it.Path), Target: strOrNil(it.Target)})
		}
	case errors.As(err, &le):
		je.Target = strOrNil(le.Target)
	case errors.As(err, &nee):
		je.Target = strOrNil(nee.Target)
	case errors.As(err, &rte):
		je.File, je.Target = strOrNil(rte.Path), strOrNil(rte.Tenant)
	case errors.As(err, &lim):
		je.File = strOrNil(lim.Path)
	case errors.As(err, &dire):
		je.File, je.Line = strOrNil(dire.Path), intOrNil(dire.Line)
	case errors.As(err, &ence):
		je.File, je.Line, je.Column = strOrNil(ence.Path), intOrNil(ence.Line), intOrNil(ence.Column)
	case errors.As(err, &de):
		for _, f := range de.Files {
			je.Problems = append(je.Problems, jsonProblem{Message: a.shown("claims " + de.Key), File: strOrNil(f.Path())})
		}
	case errors.As(err, &ne):
		for _, p := range ne.Problems {
			je.Problems = append(je.Problems, jsonProblem{Message: a.shown(p.Message), File: strOrNil(p.Path)})
		}
	case errors.As(err, &uoe):
		if uoe.Override != nil {
			je.File = strOrNil(uoe.Override.Path())
		}
	}
	je.fillFromFirstProblem()
	return je
}

// jsonJoined is the JSON form of several failures found together (the
// checks before migrating): the fields of the one that decides the exit
// code, and every part's problems.
func (a *app) jsonJoined(err error, parts []error, code int) *jsonError {
	var main *jsonError
	var problems []jsonProblem
	for _, p := range parts {
		pc := codeOf(p)
		je := a.jsonErrorOf(p, pc)
		if main == nil && pc == codeOf(err) {
			main = je
		}
		if len(je.Problems) == 0 {
			c := je.Code
			problems = append(problems, jsonProblem{Code: &c, Message: je.Message, File: je.File, Line: je.Line, Column: je.Column, Target: je.Target})
			continue
		}
		for _, pr := range je.Problems {
			if pr.Code == nil {
				pr.Code = &je.Code
			}
			problems = append(problems, pr)
		}
	}
	if main == nil {
		main = a.jsonErrorOf(parts[0], code)
	}
	main.Message = a.shown(err.Error())
	main.ExitCode = code
	if code == exitInterrupted {
		main.Code = codeInterrupted
	}
	main.Problems = problems
	return main
}

// fillFromFirstProblem gives an error with problems and no place of its
// own the place of its first problem.
func (je *jsonError) fillFromFirstProblem() {
	if len(je.Problems) == 0 || je.File != nil || je.Target != nil {
		return
	}
	p := je.Problems[0]
	je.File, je.Line, je.Column, je.Target = p.File, p.Line, p.Column, p.Target
}

// errorCode names the kind of err, which exits code.
func errorCode(err error, code int) string {
	var me *engine.MigrationError
	var ce *engine.CallbackError
	var ve *engine.ValidationError
	var oe *engine.OrderError
	var pe *engine.PlaceholderError
	var ue *placeholders.UndefinedError
	var rte *engine.RawTenantError
	var nee *engine.NonEmptySchemaError
	var le *engine.LimitError
	var de *locations.DuplicateError
	var ne *locations.NamingError
	var dire *locations.DirectiveError
	var ence *locations.EncodingError
	var uoe *locations.UndoOverrideError
	var te *schemas.TenantError
	var ack *locations.AckError
	var sum *locations.SumError
	var ur *undoRefused
	var lf *lintFailed
	switch {
	case errors.As(err, &ur):
		return codeUndoRefused
	case errors.As(err, &lf):
		return codeLintFailed
	case code == exitInterrupted, errors.Is(err, context.Canceled), errors.Is(err, errInterruptedConnecting):
		return codeInterrupted
	case errors.As(err, &me):
		return codeMigration
	case errors.As(err, &ce):
		return codeCallback
	case errors.Is(err, engine.ErrLocked):
		return codeLocked
	case errors.Is(err, errAuth):
		return codeAuth
	case errors.Is(err, errNoDatabase):
		return codeNoDatabase
	case errors.Is(err, errUnreachable):
		return codeUnreachable
	case errors.Is(err, engine.ErrLayoutTooNew):
		return codeLayout
	case errors.Is(err, errNotConfirmed):
		return codeNotConfirmed
	case errors.As(err, &ve):
		return codeValidation
	case errors.As(err, &oe):
		return codeOutOfOrder
	case errors.As(err, &pe), errors.As(err, &ue):
		return codePlaceholder
	case errors.As(err, &rte):
		return codeRawTenant
	case errors.As(err, &nee):
		return codeNonEmpty
	case errors.As(err, &ack), errors.As(err, &sum):
		return codeUnacknowledged
	case errors.As(err, &de), errors.As(err, &ne), errors.As(err, &dire), errors.As(err, &ence), errors.As(err, &uoe), errors.As(err, &le):
		return codeFiles
	case errors.As(err, &te):
		return codeTenants
	}
	switch code {
	case exitUsage:
		return codeUsage
	case exitValidation:
		return codeValidation
	case exitLocked:
		return codeLocked
	case exitUnreachable:
		return codeUnreachable
	case exitAuth:
		return codeAuth
	case exitNoDatabase:
		return codeNoDatabase
	}
	return codeFailed
}

// configFailure records, for JSON, the configuration diagnostics that
// were rendered on stderr.
func (a *app) configFailure(diags hcl.Diagnostics) {
	var problems []jsonProblem
	for _, d := range diags {
		p := a.jsonDiagnostic(d)
		if d.Severity == hcl.DiagWarning {
			a.warnings = append(a.warnings, p)
			continue
		}
		problems = append(problems, p)
	}
	if len(problems) == 0 {
		return
	}
	msg := problems[0].Message
	if len(problems) > 1 {
		msg = fmt.Sprintf("%s (and %d more problems in the configuration)", msg, len(problems)-1)
	}
	je := &jsonError{Code: codeConfig, Message: msg, Problems: problems}
	je.fillFromFirstProblem()
	a.failure = je
}

// jsonDiagnostic is an HCL diagnostic as a problem.
func (a *app) jsonDiagnostic(d *hcl.Diagnostic) jsonProblem {
	msg := d.Summary
	if d.Detail != "" {
		msg += ": " + d.Detail
	}
	p := jsonProblem{Message: a.shown(msg)}
	if r := d.Subject; r != nil {
		p.File, p.Line, p.Column = strOrNil(r.Filename), intOrNil(r.Start.Line), intOrNil(r.Start.Column)
	}
	return p
}

// urlFailure records, for JSON, a url error rendered on stderr.
func (a *app) urlFailure(r hcl.Range, summary, detail string) {
	je := &jsonError{Code: codeConfig, Message: strings.ToLower(summary[:1]) + summary[1:] + ": " + detail}
	if a.url == "" && r.Filename != "" {
		je.File, je.Line, je.Column = strOrNil(r.Filename), intOrNil(r.Start.Line), intOrNil(r.Start.Column)
	}
	a.outMu.Lock()
	defer a.outMu.Unlock()
	a.failure = je
}

// warn records a warning for the JSON output (text output prints it).
func (a *app) warn(file, msg string) {
	p := jsonProblem{Message: a.shown(msg), File: strOrNil(file)}
	a.outMu.Lock()
	defer a.outMu.Unlock()
	a.warnings = append(a.warnings, p)
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func intOrNil(n int) *int {
	if n <= 0 {
		return nil
	}
	return &n
}
