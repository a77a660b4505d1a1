// Package placeholders replaces Flyway-style placeholders such as ${app_role}
// in migration text and maps offsets in the replaced text back to the file on
// disk.
//
// # Syntax
//
// A placeholder is a prefix, a name and a suffix: ${name} by default. Both the
// prefix and the suffix are configurable through [Syntax] and may be several
// characters long (#[name], @@name@@, FP__name__). Names are matched
// case-insensitively.
//
// A name is one or more characters, each a Unicode letter, a Unicode digit, or
// one of '_', '.', '-' and ':' (the colon is used by built-ins such as
// strata:schema and flyway:user), at most [MaxNameLen] bytes long. The name
// ends at the first occurrence of the suffix, so a suffix that starts with a
// name character still works (with suffix "__", FP__my_var__ names my_var).
// A name never contains white space or a line break, so a placeholder never
// spans lines. [ValidName] reports whether a string can be a name.
//
// A prefix that is not followed by a name and the suffix ("${ x }", "${}",
// "${a", "${a b}", "${" at the end of a line) is literal text, not an error:
// it is copied to the output unchanged and scanning resumes right after the
// prefix, so "${${x}}" is "${" followed by the placeholder ${x} and "}".
// Flyway instead treats everything up to the next suffix as a name and fails
// on it; Strata is more lenient so that JavaScript template strings, shell
// snippets and the like in function bodies or comments need no escaping.
//
// # Flyway's scanner quirk
//
// Flyway's PlaceholderReplacingReader reads ahead while the characters read so
// far match the beginning of the prefix. When the match fails, every character
// read so far, including the one that broke the match, is emitted as literal
// text without being examined again. With the default prefix this means
// "$${x}" comes out unchanged: the second '$' is consumed together with the
// first and never starts a placeholder. This package does the same for every
// prefix: when the first k bytes of the prefix match and byte k+1 differs, those
// k+1 bytes are literal and scanning resumes after them. So with prefix "#["
// the text "##[x]" is unchanged, and "$$${x}" is "$$" followed by ${x}.
//
// # Replacement
//
// Replacement runs over the whole text, comments and string literals included,
// as in Flyway. Values are inserted verbatim (no quoting); an empty value is
// replaced by nothing; a value is never scanned for placeholders again.
// Undefined placeholders are left in the output unchanged and reported, all of
// them, in an [*UndefinedError] with their byte offset, line and column.
//
// [Expand] works on a whole string; [NewReader] does the same replacement on a
// stream with bounded memory and gives byte-identical output. [Scan] lists the
// references without needing values, so every file can be checked before
// anything runs ([Check]).
//
// # Values and built-ins
//
// [Values] holds user values with lower-cased keys ([NewValues] merges maps key
// by key). [Builtins] answers the strata:* built-ins and their flyway:*
// aliases. [Chain] combines lookups, first hit wins.
//
// # Positions
//
// Offsets are byte offsets. Lines and columns are 1-based; "\r\n", a lone "\r"
// and "\n" each end a line, and a column counts characters: every byte except
// UTF-8 continuation bytes counts as one, which for valid UTF-8 is the number of
// runes ([LineCol]).
package placeholders
