package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/internal/tlsfiles"
)

// connFlags are the flags every command that talks to a server shares.
type connFlags struct {
	server, key       *string
	tls               *bool
	ca, cert, certKey *string
}

func addConnFlags(fs *flag.FlagSet) connFlags {
	return connFlags{
		server: fs.String("server", envOr("PAYMIX_SERVER", "127.0.0.1:50051"), "the server's gRPC address (PAYMIX_SERVER)"),
		// The default stays empty so that help text never prints a secret; the
		// environment is read when dialling.
		key:  fs.String("key", "", "API key, sent as \"authorization: Bearer KEY\" (default: $PAYMIX_API_KEY)"),
		tls:  fs.Bool("tls", os.Getenv("PAYMIX_TLS") == "true", "connect over TLS (PAYMIX_TLS=true; implied by --ca and --cert)"),
		ca:   fs.String("ca", os.Getenv("PAYMIX_CA"), "PEM CA certificate that signs the server's certificate (PAYMIX_CA; default: the system's roots)"),
		cert: fs.String("cert", os.Getenv("PAYMIX_CERT"), "PEM client certificate, for a server that requires one (PAYMIX_CERT)"),
		// --key is the API key, so the certificate's key has a name of its own.
		certKey: fs.String("cert-key", os.Getenv("PAYMIX_CERT_KEY"), "PEM private key of --cert (PAYMIX_CERT_KEY)"),
	}
}

// dial connects; the key, if any, rides on every call.
func (c connFlags) dial() (*grpc.ClientConn, error) {
	if *c.key == "" {
		*c.key = os.Getenv("PAYMIX_API_KEY")
	}
	creds := insecure.NewCredentials()
	if *c.tls || *c.ca != "" || *c.cert != "" {
		cfg, err := (tlsfiles.Client{CAFile: *c.ca, CertFile: *c.cert, KeyFile: *c.certKey}).Config()
		if err != nil {
			return nil, err
		}
		creds = credentials.NewTLS(cfg)
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if key := *c.key; key != "" {
		bearer := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key), method, req, reply, cc, opts...)
		}
		stream := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return streamer(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key), desc, cc, method, opts...)
		}
		opts = append(opts, grpc.WithUnaryInterceptor(bearer), grpc.WithStreamInterceptor(stream))
	}
	return grpc.NewClient(*c.server, opts...)
}

var roleNames = map[string]pb.Role{
	"platform-admin": pb.Role_ROLE_PLATFORM_ADMIN, "admin": pb.Role_ROLE_ADMIN, "hris": pb.Role_ROLE_HRIS,
	"recruiter": pb.Role_ROLE_RECRUITER, "analyst": pb.Role_ROLE_ANALYST,
}

func roleName(r pb.Role) string {
	for name, p := range roleNames {
		if p == r {
			return name
		}
	}
	return r.String()
}

const keysUsage = `Usage:
  paymix keys create --org ORG --role ROLE [--name NAME] [--expires DURATION]
  paymix keys list --org ORG
  paymix keys revoke [--transfer-to organizations/ORG/apiKeys/PREFIX] organizations/ORG/apiKeys/PREFIX

Revoking a key revokes every key it made, and every key those made. --transfer-to
first hands the keys it made to another key (of the same organisation, or a
platform-admin key), so that they stay; naming one of them rotates the key. The last
platform-admin key that does not expire cannot be revoked.

Roles: platform-admin (organisation "platform" only), admin, hris, recruiter, analyst.
The first key can be made without one while paymixd runs on loopback with no key yet;
from then on every call needs a key (--key or PAYMIX_API_KEY). Run "paymix keys
COMMAND -h" for a command's flags (--server, --key and the TLS flags --tls, --ca,
--cert and --cert-key on every one).
`

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "paymix keys: give a command: create, list or revoke (see paymix keys -h)\n")
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, keysUsage)
		return exitOK
	}
	sub := args[0]
	if sub != "create" && sub != "list" && sub != "revoke" {
		fmt.Fprintf(stderr, "paymix keys: unknown command %q: create, list or revoke (see paymix keys -h)\n", sub)
		return exitUsage
	}
	cmd := newCommand("paymix keys "+sub, keysUsage, stdout, stderr)
	fs := cmd.fs
	conn := addConnFlags(fs)
	var org, role, name, transferTo *string
	var expires *time.Duration
	switch sub {
	case "create":
		org = fs.String("org", "", "the organisation id (required)")
		role = fs.String("role", "", "the key's role (required): platform-admin, admin, hris, recruiter or analyst")
		name = fs.String("name", "", "a name for the key")
		expires = fs.Duration("expires", 0, "how long the key works (for example 2160h); 0 means no expiry")
	case "list":
		org = fs.String("org", "", "the organisation id (required)")
	case "revoke":
		transferTo = fs.String("transfer-to", "", "the key that takes over the keys the revoked one made")
	}
	if code, ok := cmd.parse(args[1:]); !ok {
		return code
	}
	switch {
	case sub == "create" && (*org == "" || roleNames[*role] == 0):
		return cmd.usageError("--org and --role (platform-admin, admin, hris, recruiter, analyst) are required")
	case sub == "list" && *org == "":
		return cmd.usageError("--org is required")
	case sub == "revoke" && len(cmd.args) != 1:
		return cmd.usageError("give the key's name: organizations/ORG/apiKeys/PREFIX")
	case sub != "revoke" && len(cmd.args) != 0:
		return cmd.usageError("unexpected argument %q", cmd.args[0])
	}
	cc, err := conn.dial()
	if err != nil {
		return cmd.localError(err)
	}
	defer cc.Close()
	admin := pb.NewAdminServiceClient(cc)
	switch sub {
	case "create":
		key := &pb.ApiKey{DisplayName: *name, Role: roleNames[*role]}
		if *expires > 0 {
			key.ExpireTime = timestamppb.New(time.Now().Add(*expires))
		}
		resp, err := admin.CreateApiKey(ctx, &pb.CreateApiKeyRequest{Parent: "organizations/" + *org, ApiKey: key})
		if err != nil {
			return cmd.serverError(err)
		}
		fmt.Fprintf(stderr, "created %s (%s); the key is shown only now:\n", resp.GetApiKey().GetName(), roleName(resp.GetApiKey().GetRole()))
		fmt.Fprintln(stdout, resp.GetSecret())
	case "list":
		resp, err := admin.ListApiKeys(ctx, &pb.ListApiKeysRequest{Parent: "organizations/" + *org})
		if err != nil {
			return cmd.serverError(err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tSTATE\tDISPLAY NAME\tMADE BY")
		for _, k := range resp.GetApiKeys() {
			state := "active"
			switch {
			case k.GetRevokeTime() != nil:
				state = "revoked " + k.GetRevokeTime().AsTime().Format(time.DateOnly)
			case k.GetExpireTime() != nil && k.GetExpireTime().AsTime().Before(time.Now()):
				state = "expired"
			case k.GetExpireTime() != nil:
				state = "expires " + k.GetExpireTime().AsTime().Format(time.DateOnly)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.GetName(), roleName(k.GetRole()), state, k.GetDisplayName(), k.GetCreatedBy())
		}
		tw.Flush()
	case "revoke":
		resp, err := admin.RevokeApiKey(ctx, &pb.RevokeApiKeyRequest{Name: cmd.args[0], TransferTo: *transferTo})
		if err != nil {
			return cmd.serverError(err)
		}
		fmt.Fprintf(stdout, "revoked %s\n", resp.GetApiKey().GetName())
	}
	return 0
}
