// Package redact masks secrets in text: the password of a database URL or
// DSN, wherever a driver may echo a piece of it, and any other secret value
// a caller knows (a sensitive placeholder value).
//
// URL masks the secrets of a connection string by its form. Secrets lists
// every fragment of a connection string's secrets that a lenient parser
// could show on its own (a raw '@' in a password makes libpq and pgx take
// the rest for the host: "lookup s3cret@db"). A Masker replaces every
// occurrence of a list of secrets in messages.
//
// The package imports no driver and no HCL, so the engine, its dialects,
// config and cmd can all use it.
package redact
