// Package tlsfiles makes TLS configurations from PEM files: a server's, whose
// certificate and key are read again when the files are replaced (no restart for a
// renewed certificate), and a client's, for the CLI and the health command.
package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// checkEvery is how often a handshake looks at the files again: a pair replaced one
// second ago is in use, and a busy server stats them at most twice a second.
const checkEvery = 500 * time.Millisecond

// Server describes a server's TLS: the certificate and key files, and, for mutual
// TLS, the CA that client certificates must be signed by.
type Server struct {
	CertFile, KeyFile string
	ClientCAFile      string
}

// Config loads the pair (an error when it cannot be read) and returns a server
// configuration that picks up a replaced pair; a replacement that does not load is
// logged and the pair in use is kept. With a client CA, a client must present a
// certificate it signed.
func (s Server) Config(log *slog.Logger) (*tls.Config, error) {
	if s.CertFile == "" || s.KeyFile == "" {
		return nil, errors.New("TLS needs both a certificate (--tls-cert) and its key (--tls-key)")
	}
	r := &reloader{certFile: s.CertFile, keyFile: s.KeyFile, log: log}
	if err := r.load(); err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.get}
	if s.ClientCAFile != "" {
		pool, err := readPool(s.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-client-ca: %w", err)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// reloader holds the pair in use and the files' state it was read from.
type reloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   [2]fileStamp // of the pair last tried, loaded or not
	checked time.Time
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{fi.ModTime(), fi.Size()}
}

func (r *reloader) load() error {
	stamp := [2]fileStamp{stampOf(r.certFile), stampOf(r.keyFile)}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	r.stamp = stamp
	if err != nil {
		return fmt.Errorf("TLS certificate %s and key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert = &cert
	return nil
}

func (r *reloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= checkEvery {
		r.checked = now
		if [2]fileStamp{stampOf(r.certFile), stampOf(r.keyFile)} != r.stamp {
			old := r.cert
			if err := r.load(); err != nil {
				r.cert = old
				r.log.Error("the replaced TLS certificate does not load; serving the previous one", "err", err)
			} else {
				r.log.Info("TLS certificate reloaded", "cert", r.certFile)
			}
		}
	}
	return r.cert, nil
}

// Client describes a client's TLS: the CA that signs the server's certificate (the
// system's roots when empty), a certificate and key for mutual TLS, and the name the
// server's certificate must carry (the dialled host when empty).
type Client struct {
	CAFile, CertFile, KeyFile string
	ServerName                string
}

// Config returns the client configuration.
func (c Client) Config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName}
	if c.CAFile != "" {
		pool, err := readPool(c.CAFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, errors.New("a client certificate needs both the certificate and its key")
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s and key %s: %w", c.CertFile, c.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func readPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}
