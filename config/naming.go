package config

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stratadb/strata/locations"
)

// Defaults of the connection retry settings (Flyway's connectRetries and
// connectRetriesInterval).
const (
	DefaultConnectRetries         = 0
	DefaultConnectRetriesInterval = 120 * time.Second
	// DefaultConnectTimeout bounds one attempt to connect: dial, TLS and
	// login.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultNetworkTimeout bounds how long a connection may stay silent
	// with the server unreachable (a partition) before Strata gives up on
	// it, and how long the server keeps a session whose client is gone.
	DefaultNetworkTimeout = 30 * time.Second
)

// namingExamples show a correct setting of the naming and retry attributes
// in "Incorrect attribute value type" diagnostics.
var namingExamples = map[string]string{
	"sql_migration_prefix":            `sql_migration_prefix = "M"`,
	"undo_sql_migration_prefix":       `undo_sql_migration_prefix = "UNDO"`,
	"repeatable_sql_migration_prefix": `repeatable_sql_migration_prefix = "RR"`,
	"baseline_migration_prefix":       `baseline_migration_prefix = "BASE"`,
	"sql_migration_separator":         `sql_migration_separator = "__"`,
	"sql_migration_suffixes":          `sql_migration_suffixes = [".sql", ".pgsql"]`,
	"connect_retries":                 `connect_retries = 10`,
	"connect_retries_interval":        `connect_retries_interval = 120`,
	"connect_timeout":                 `connect_timeout = "10s"`,
	"network_timeout":                 `network_timeout = "30s"`,
}

// exampleOf returns the example setting for key.
func exampleOf(key string) string {
	if ex, ok := examples[key]; ok {
		return ex
	}
	return namingExamples[key]
}

// namingPrefixes are the prefix attributes in the order they are checked.
var namingPrefixes = []struct {
	attr string
	kind locations.Kind
}{
	{"sql_migration_prefix", locations.Versioned},
	{"undo_sql_migration_prefix", locations.Undo},
	{"repeatable_sql_migration_prefix", locations.Repeatable},
	{"baseline_migration_prefix", locations.Baseline},
}

// resolveNaming decodes Flyway's naming settings: the four prefixes, the
// separator and the suffixes. Env.Naming starts as the defaults.
func (l *loader) resolveNaming(e *Env, both []*scope) {
	n := &e.Naming
	set := map[string]hcl.Range{}
	for _, p := range namingPrefixes {
		s, ok := l.pick(p.attr, both...)
		if !ok || s == nil {
			continue
		}
		text, sens, ok := l.str(s, false)
		if !ok {
			continue
		}
		e.Ranges[p.attr] = s.rng()
		r := s.rng()
		switch {
		case text == "":
			l.errorf(&r, "Empty migration prefix",
				"%s is empty, so every file name would start with it. Set a prefix such as %q (Flyway's default), or remove the attribute.",
				p.attr, locations.DefaultNaming().Prefix(p.kind))
			continue
		case strings.ContainsAny(text, `/\`):
			l.errorf(&r, "Invalid migration prefix",
				"%s is %s, which contains a path separator; a prefix is the start of a file name. Remove the / or \\.", p.attr, show(text, sens))
			continue
		case locations.IsEvent(text):
			l.errorf(&r, "Invalid migration prefix",
				"%s is %s, which is the name of a callback event: files named %s... are callbacks. Choose another prefix.", p.attr, show(text, sens), text)
			continue
		}
		set[p.attr] = r
		switch p.kind {
		case locations.Versioned:
			n.VersionedPrefix = text
		case locations.Undo:
			n.UndoPrefix = text
		case locations.Repeatable:
			n.RepeatablePrefix = text
		case locations.Baseline:
			n.BaselinePrefix = text
		}
	}
	// Two kinds with one prefix: reported at the one set here (the later one
	// when both are), naming the other and whether it is a default.
	for i, a := range namingPrefixes {
		for _, b := range namingPrefixes[:i] {
			pa, pb := n.Prefix(a.kind), n.Prefix(b.kind)
			if pa != pb {
				continue
			}
			at, other := a, b
			if _, ok := set[a.attr]; !ok {
				at, other = b, a
			}
			r, ok := set[at.attr]
			if !ok {
				continue
			}
			how := "is also"
			if _, ok := set[other.attr]; !ok {
				how = "is also the default of"
			}
			l.errorf(&r, "Migration prefixes collide",
				"%s is %q, which %s %s, so Strata could not tell %s from %s. Give each kind of migration its own prefix.",
				at.attr, pa, how, other.attr, withArticle(nounOf(at.kind)), withArticle(nounOf(other.kind)))
		}
	}

	if s, ok := l.pick("sql_migration_separator", both...); ok && s != nil {
		if text, sens, ok := l.str(s, false); ok {
			e.Ranges[s.key] = s.rng()
			r := s.rng()
			switch {
			case text == "":
				l.errorf(&r, "Empty migration separator",
					`sql_migration_separator is empty, so the version could not be told from the description. Set it, such as "__" (Flyway's default), or remove the attribute.`)
			case strings.ContainsAny(text, `/\`):
				l.errorf(&r, "Invalid migration separator",
					"sql_migration_separator is %s, which contains a path separator; it is part of a file name. Remove the / or \\.", show(text, sens))
			default:
				n.Separator = text
			}
		}
	}

	if s, ok := l.pick("sql_migration_suffixes", both...); ok && s != nil {
		if elems, ok := l.list(s, false); ok {
			e.Ranges[s.key] = s.rng()
			if len(elems) == 0 {
				r := s.rng()
				l.errorf(&r, "No migration suffix",
					`sql_migration_suffixes is empty, so no file would be a migration. List at least one suffix, such as [".sql"] (Flyway's default), or remove the attribute.`)
			}
			var suffixes []string
			seen := map[string]int{}
			ok := true
			for i, el := range elems {
				r := el.rng
				e.Ranges[fmt.Sprintf("sql_migration_suffixes[%d]", i)] = r
				lower := strings.ToLower(el.text)
				switch {
				case el.text == "":
					l.errorf(&r, "Empty migration suffix",
						`Element %d of sql_migration_suffixes is empty, so every file would be a migration. Remove it, or write a suffix such as ".sql".`, i+1)
				case strings.ContainsAny(el.text, `/\`):
					l.errorf(&r, "Invalid migration suffix",
						"Element %d of sql_migration_suffixes is %s, which contains a path separator; a suffix is the end of a file name. Remove the / or \\.", i+1, show(el.text, el.sensitive))
				case strings.HasSuffix(lower, ".conf"):
					l.errorf(&r, "Invalid migration suffix",
						`Element %d of sql_migration_suffixes is %s, but files ending in ".conf" hold script configuration (V1__x.sql.conf). Choose another suffix.`, i+1, show(el.text, el.sensitive))
				case seen[lower] > 0:
					l.errorf(&r, "Duplicate migration suffix",
						"Element %d of sql_migration_suffixes is %s, the same as element %d (suffixes are matched ignoring case). List each suffix once.", i+1, show(el.text, el.sensitive), seen[lower])
				default:
					seen[lower] = i + 1
					suffixes = append(suffixes, el.text)
					continue
				}
				ok = false
			}
			if ok && len(suffixes) > 0 {
				n.Suffixes = suffixes
			}
		}
	}
}

// withArticle puts "a" or "an" before a noun.
func withArticle(noun string) string {
	if strings.HasPrefix(noun, "u") {
		return "an " + noun
	}
	return "a " + noun
}

func nounOf(k locations.Kind) string {
	switch k {
	case locations.Versioned:
		return "versioned migration"
	case locations.Undo:
		return "undo migration"
	case locations.Repeatable:
		return "repeatable migration"
	case locations.Baseline:
		return "baseline migration"
	}
	return "migration"
}

// resolveConnect decodes connect_retries, connect_retries_interval,
// connect_timeout and network_timeout.
func (l *loader) resolveConnect(e *Env, both []*scope) {
	l.resolveDeadline(e, both, "connect_timeout", time.Second/10, &e.ConnectTimeout,
		"connect_timeout bounds one attempt to connect (dial, TLS, login)")
	l.resolveDeadline(e, both, "network_timeout", time.Second, &e.NetworkTimeout,
		"network_timeout bounds how long a connection may stay silent with the server unreachable before Strata gives up on it, and how long the server keeps the session of a client that is gone")
	if s, ok := l.pick("connect_retries", both...); ok && s != nil {
		e.Ranges[s.key] = s.rng()
		if n, ok := l.wholeNumber(s, 0, "Invalid connect_retries",
			"connect_retries is %s, but it must be a whole number of at least 0: how many times Strata tries again to connect when the database cannot be reached. For example: connect_retries = 10."); ok {
			e.ConnectRetries = n
		}
	}
	if s, ok := l.pick("connect_retries_interval", both...); ok && s != nil {
		e.Ranges[s.key] = s.rng()
		r := s.rng()
		v, marks := s.val.UnmarkDeep()
		switch {
		case v.Type() == cty.Number:
			f := v.AsBigFloat()
			i, acc := f.Int64()
			if !f.IsInt() || acc != big.Exact || i < 1 || i > 1<<31 {
				l.errorf(&r, "Invalid connect_retries_interval",
					`connect_retries_interval is %s, but as a number it is whole seconds, at least 1 (Flyway's form). Write a whole number, or a duration string such as "500ms" or "2m".`,
					f.Text('g', 10))
				return
			}
			e.ConnectRetriesInterval = time.Duration(i) * time.Second
		default:
			text, _, ok := l.str(s, false)
			if !ok {
				return
			}
			d, err := time.ParseDuration(strings.TrimSpace(text))
			if err != nil || d <= 0 {
				l.errorf(&r, "Invalid connect_retries_interval",
					`connect_retries_interval is %s, which is not a positive duration. Write a number of seconds (connect_retries_interval = 120, Flyway's form) or a duration string such as "500ms" or "2m".`,
					show(text, len(marks) > 0))
				return
			}
			e.ConnectRetriesInterval = d
		}
	}
}

// resolveDeadline decodes a positive Go duration of at least least into *d.
func (l *loader) resolveDeadline(e *Env, both []*scope, key string, least time.Duration, d *time.Duration, what string) {
	s, ok := l.pick(key, both...)
	if !ok || s == nil {
		return
	}
	e.Ranges[s.key] = s.rng()
	text, sens, ok := l.str(s, false)
	if !ok {
		return
	}
	r := s.rng()
	v, err := time.ParseDuration(strings.TrimSpace(text))
	if err != nil || v < least {
		l.errorf(&r, "Invalid "+key,
			"%s is %s, but it must be a duration of at least %s, such as %q: %s. A missing attribute means %s.",
			key, show(text, sens), least, exampleDuration(key), what, defaultDeadline(key))
		return
	}
	*d = v
}

func exampleDuration(key string) string {
	if key == "connect_timeout" {
		return "10s"
	}
	return "30s"
}

func defaultDeadline(key string) time.Duration {
	if key == "connect_timeout" {
		return DefaultConnectTimeout
	}
	return DefaultNetworkTimeout
}
