// Package config loads strata.hcl: it parses the file, checks it against the
// schema, evaluates the selected env and returns plain structs that keep
// their source ranges. Every problem is an hcl.Diagnostic with a range, meant
// to be rendered once by hcl.NewDiagnosticTextWriter with Config.Files.
//
// # Structure
//
// Top-level attributes and blocks are defaults that every `env "name"` block
// inherits. Inside an env:
//
//   - scalars and lists replace the top-level value;
//   - locations is appended to the top-level locations (shared ones first),
//     then the env's overrides follow;
//   - placeholders.values merges key by key (case-insensitively) over the
//     top-level values, and --placeholder values are merged last;
//   - nested blocks (placeholders, history, lock) merge attribute by attribute.
//
// Merging is by the presence of an attribute, never by Go zero values:
// out_of_order = false in an env overrides out_of_order = true at the top
// level. An attribute whose value is null counts as absent.
//
// url, overrides, clean_disabled and the tenants block exist only inside env
// blocks. Only the selected env is evaluated, so env("DATABASE_URL") in prod
// does not break --env dev; every env is still checked against the schema.
// Variables are evaluated only when the top level or the selected env uses
// them.
//
// # Templates and placeholders
//
// HCL strings are templates: "${...}" interpolates and "%{...}" is a
// directive. A literal "${" is written "$${" and a literal "%{" is written
// "%%{", so the default placeholder prefix is written prefix = "$${". After
// HCL evaluation, placeholder values are literal text: they are never
// expanded again.
//
// # Functions
//
// env(name) and env(name, default) read an environment variable; a missing
// variable without default is an error at the call. file(path) reads a UTF-8
// file (at most 16 MiB) relative to the directory of strata.hcl, including
// any final newline (use trimspace). Values derived from env(), file() and
// variables declared sensitive = true are sensitive: the mark follows them
// through every expression, Value.Sensitive reports it and Value.Display hides
// them. The cty standard library is available: abs, can, ceil, chomp,
// coalesce, coalescelist, compact, concat, contains, distinct, element,
// flatten, floor, format, formatlist, indent, join, jsondecode, jsonencode,
// keys, length, lookup, lower, max, merge, min, range, regex, regexall,
// replace, reverse, slice, sort, split, strrev, substr, title, tobool, tolist,
// tomap, tonumber, toset, tostring, trim, trimprefix, trimspace, trimsuffix,
// try, upper, values, zipmap.
//
// # Variables
//
//	variable "stage" {
//	  type        = string   # any type constraint; default: any
//	  default     = "dev"    # may call functions, may not refer to var.*
//	  description = "deployment stage"
//	  sensitive   = false
//	}
//
// var.stage refers to it. --var name=value (Options.Vars) overrides the
// default; the text is converted to the declared type (a list, map or object
// is written in HCL syntax: --var 'names=["a","b"]'). A used variable with
// neither default nor --var is an error.
//
// # Paths
//
// locations, overrides and file() paths are relative to the directory of
// strata.hcl. A location may be a glob (filepath.Glob syntax): each matching
// folder becomes a location, in sorted order, and a pattern that matches no
// folder is an error. A location that is not an existing folder is an error.
// sqlite:// URLs are kept as written; Env.ResolvePath resolves their file
// part.
//
// # Naming and connection retries
//
// sql_migration_prefix, undo_sql_migration_prefix,
// repeatable_sql_migration_prefix, baseline_migration_prefix,
// sql_migration_separator and sql_migration_suffixes are Flyway's naming
// settings (Env.Naming, defaults filled in); an empty prefix, separator or
// suffix, two kinds with one prefix, a prefix that is a callback event name,
// a path separator, a suffix ending in ".conf" or a suffix listed twice is a
// diagnostic. connect_retries (default 0) and connect_retries_interval
// (whole seconds, or a duration string; default 120 seconds) are Flyway's
// connectRetries and connectRetriesInterval. connect_timeout (default
// "10s", at least 100ms) bounds one attempt to connect; network_timeout
// (default "30s", at least 1s) bounds how long a connection may stay silent
// with the server unreachable, and how long the server keeps the session of
// a client that is gone (Env.ConnectTimeout, Env.NetworkTimeout).
//
// # Versions
//
// hotfixes and target are strings: 7.10 as an HCL number would be 7.1, so a
// number there is an error that says to quote it.
package config
