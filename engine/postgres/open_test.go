package postgres_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stratadb/strata/engine/postgres"
)

// TestOpenMasksPassword checks that the errors of Open and of connecting
// never show a piece of the URL's password, whatever pgx makes of it: a
// raw '@' makes pgx take the rest for the host ("lookup ss@TAIL@..."), a
// password without '@' is taken for a port.
func TestOpenMasksPassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	for name, u := range map[string]string{
		"raw @ in password":      "postgres://app:p@ss@TAILSECRET@127.0.0.1/db?connect_timeout=5",
		"raw @ and closed port":  "postgres://app:p@ss@TAILSECRET@" + closed + "/db?connect_timeout=5",
		"raw : and closed port":  "postgres://app:pa:ssTAILSECRET@" + closed + "/db",
		"query password":         "postgres://" + closed + "?password=p@TAILSECRET&connect_timeout=5",
		"taken for a port":       "postgres://app:TAILSECRET/db",
		"key=value, bad port":    "host=127.0.0.1 port=x password=TAILSECRET",
		"key=value, closed port": "host=127.0.0.1 port=" + strings.Split(closed, ":")[1] + " password='p@ss TAILSECRET'",
	} {
		t.Run(name, func(t *testing.T) {
			db, err := postgres.Open(context.Background(), u, postgres.Options{})
			if err == nil {
				err = db.PingContext(context.Background())
				db.Close()
			}
			if err == nil {
				t.Fatalf("%s connected", u)
			}
			if strings.Contains(err.Error(), "TAILSECRET") {
				t.Errorf("error shows the password: %v", err)
			}
			var pe *pgconn.ParseConfigError
			var ce *pgconn.ConnectError
			if !errors.As(err, &pe) && !errors.As(err, &ce) {
				t.Errorf("the driver's error is not reachable with errors.As: %T %v", err, err)
			}
		})
	}
}
