package main

import (
	"fmt"
	"net"
	neturl "net/url"
	"strings"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/engine/sqlite"
)

// database names the env's database for headers and prompts: the dialect
// and where it is, never the user or a secret: "sqlite dev.db" (the file
// relative to the working directory), "postgres 127.0.0.1:5432/app",
// "sqlserver db:1433/app", "mysql db:3306/app". A URL it cannot read is
// shown masked.
func database(env *config.Env, dir string) string {
	u := env.URL.Text
	scheme, _, _ := strings.Cut(u, ":")
	scheme = strings.ToLower(scheme)
	switch scheme {
	case "sqlite":
		p, err := sqlite.PathFromURL(u, dir)
		if err != nil {
			return "sqlite " + config.RedactURL(u)
		}
		if p != ":memory:" {
			p = relPath(p)
		}
		return "sqlite " + p
	case "postgresql":
		scheme = "postgres"
	}
	host, port, db := serverAddress(scheme, u)
	if host == "" && db == "" {
		return config.RedactURL(u)
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	}
	if db != "" {
		host += "/" + db
	}
	return scheme + " " + host
}

// serverAddress reads host, port and database from a server URL
// (postgres://h:5432/db, sqlserver://h:1433?database=db, mysql://h:3306/db,
// mariadb://h/db); the port is the
// dialect's default when the URL has none.
func serverAddress(scheme, u string) (host, port, db string) {
	p, err := neturl.Parse(u)
	if err != nil {
		return "", "", ""
	}
	host, port = p.Hostname(), p.Port()
	q := p.Query()
	switch scheme {
	case "postgres":
		db = strings.TrimPrefix(p.Path, "/")
		if h := q.Get("host"); host == "" && h != "" {
			host = h
		}
		if d := q.Get("dbname"); db == "" {
			db = d
		}
		if port == "" && host != "" && !strings.HasPrefix(host, "/") && !strings.Contains(host, ",") {
			port = "5432"
		}
	case "mysql", "mariadb":
		db = strings.TrimPrefix(p.Path, "/")
		if port == "" && host != "" {
			port = "3306"
		}
	case "sqlserver":
		db = q.Get("database")
		if inst := strings.TrimPrefix(p.Path, "/"); inst != "" {
			host += `\` + inst
		} else if port == "" && host != "" {
			port = "1433"
		}
	}
	return host, port, db
}

// where is what a header says a command works on: the env's database,
// and the schema of one target or the number of tenants. target is the
// one target ("" when several or not known yet); targets is their number
// (0: not known).
func (a *app) where(target string, targets int) string {
	if a.cfg == nil || a.cfg.Env == nil {
		return ""
	}
	env := a.cfg.Env
	s := database(env, a.cfg.Dir)
	sqliteDB := strings.HasPrefix(s, "sqlite ")
	switch {
	case target != "" && !sqliteDB:
		s += ", schema " + target
	case env.Tenants != nil && targets > 0:
		s += fmt.Sprintf(", %d tenant%s", targets, plural(targets))
	}
	return s
}

// envWhere is "env NAME (database)": the line of a confirmation prompt
// and of the lifecycle commands' reports.
func (a *app) envWhere() string {
	if a.cfg == nil || a.cfg.Env == nil {
		return ""
	}
	return fmt.Sprintf("env %s (%s)", a.cfg.Env.Name, a.where("", 0))
}
