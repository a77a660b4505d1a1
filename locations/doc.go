// Package locations finds migration files in fs.FS roots, parses their names,
// computes their Flyway checksums, reads their per-file directives and merges
// the roots into one ordered Set.
//
// File names follow Flyway's rules: V<version>__<description>.sql (versioned),
// U<version>__<description>.sql (undo), B<version>__<description>.sql
// (baseline), R__<description>.sql (repeatable) and <event>[__<description>].sql
// for SQL callbacks, where <event> is one of Flyway's callback event names
// (see Events). The ".sql" suffix is matched case-insensitively; a
// "<script>.conf" file next to a script holds its Flyway script configuration.
// Options.Naming changes the prefixes, the separator and the suffixes as
// Flyway's sqlMigrationPrefix, repeatableSqlMigrationPrefix,
// baselineMigrationPrefix, undoSqlMigrationPrefix, sqlMigrationSeparator and
// sqlMigrationSuffixes do (see Naming).
//
// Versions are digit strings of any length separated by '.' or '_', compared
// numerically part by part (see Version). Version.Key gives a printable string
// whose byte order is the numeric order, for storing in a database.
//
// The checksum is Flyway's: CRC-32 over the strictly decoded UTF-8 text with one
// leading byte order mark and every '\r' and '\n' removed (see Checksum).
package locations
