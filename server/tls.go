package server

import (
	"crypto/tls"
	"net"

	"google.golang.org/grpc/credentials"
)

// memoryExempt is TLS for every connection but the gateway's in-memory ones, which
// never leave the process: the HTTP front terminates TLS itself, and a second
// handshake (and encryption) on the hop inside would cost every JSON call for nothing.
type memoryExempt struct {
	credentials.TransportCredentials
}

// inMemory is the address network of the gateway's listener (bufconn).
const inMemory = "bufconn"

func (m memoryExempt) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	if conn.LocalAddr().Network() == inMemory {
		return conn, memoryAuth{credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}}, nil
	}
	return m.TransportCredentials.ServerHandshake(conn)
}

func (m memoryExempt) Clone() credentials.TransportCredentials {
	return memoryExempt{m.TransportCredentials.Clone()}
}

// memoryAuth is the auth info of an in-memory connection.
type memoryAuth struct{ credentials.CommonAuthInfo }

func (memoryAuth) AuthType() string { return "in-memory" }

// serverCreds are the gRPC listener's credentials under cfg (a server TLS config).
func serverCreds(cfg *tls.Config) credentials.TransportCredentials {
	return memoryExempt{credentials.NewTLS(cfg)}
}
