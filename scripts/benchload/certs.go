package main

import (
	"crypto/tls"
	"fmt"
	"log"
	"os"

	"github.com/paymix/paymix/internal/tlsfiles"
	"github.com/paymix/paymix/internal/tlsfiles/tlstest"
)

// certs are a server's certificate and key, made for the run, and a client
// configuration that trusts their CA.
type certs struct {
	cert, key string
	client    *tls.Config
}

func newCerts(work string) *certs {
	t := &fatalT{dir: work}
	ca := tlstest.NewCA(t, "bench")
	cert, key := ca.Issue(t, "paymixd")
	client, err := (tlsfiles.Client{CAFile: ca.File}).Config()
	if err != nil {
		log.Fatal(err)
	}
	return &certs{cert: cert, key: key, client: client}
}

// fatalT gives tlstest what it needs of a test.
type fatalT struct {
	dir string
	n   int
}

func (*fatalT) Helper()           {}
func (*fatalT) Fatal(args ...any) { log.Fatal(args...) }
func (t *fatalT) TempDir() string {
	t.n++
	d := fmt.Sprintf("%s/certs-%d", t.dir, t.n)
	if err := os.MkdirAll(d, 0o700); err != nil {
		log.Fatal(err)
	}
	return d
}
