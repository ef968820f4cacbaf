package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/internal/shareddata"
	"github.com/paymix/paymix/store/postgres/pgtest"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// plainBinary builds paymixd without the race detector, once per test run: replicas
// are real processes, timed as production would run them.
func plainBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "paymixd-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "paymixd")
		cmd := exec.Command("go", "build", "-o", builtBin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

type replica struct {
	name     string
	cmd      *exec.Cmd
	grpcAddr string
	httpAddr string
	conn     *grpc.ClientConn
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startReplica runs paymixd on a shared PostgreSQL and waits until it serves.
func startReplica(t testing.TB, name, storeURL string) *replica {
	t.Helper()
	return startReplicaIn(t, name, storeURL, t.TempDir())
}

// startReplicaIn runs paymixd on a store ("sqlite" for the data directory's) with a
// data directory and waits until it serves.
func startReplicaIn(t testing.TB, name, storeURL, dataDir string) *replica {
	t.Helper()
	r := &replica{name: name, grpcAddr: freePort(t), httpAddr: freePort(t)}
	r.cmd = exec.Command(plainBinary(t), "--store", storeURL, "--grpc-addr", r.grpcAddr, "--http-addr", r.httpAddr, "--log-level", "warn")
	r.cmd.Env = append(os.Environ(), "PAYMIX_DATA_DIR="+dataDir, "PAYMIX_METRICS_ADDR=127.0.0.1:0")
	if os.Getenv("PAYMIX_TEST_REPLICA_LOGS") != "" {
		r.cmd.Stderr = os.Stderr // to read what a failing replica said
	} else {
		r.cmd.Stderr = io.Discard
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.cmd.Process.Kill(); r.cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + r.httpAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not serve within a minute", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn, err := grpc.NewClient(r.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r.conn = conn
	return r
}

func keyed(key string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+key)
}

// within polls check until it returns nil and fails the test if that takes longer
// than limit; it returns how long it took.
func within(t testing.TB, limit time.Duration, what string, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := check()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v: %v", what, limit, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var seattle = &pb.RecommendBandRequest{JobFamily: "software-engineer", Level: "IC3", Location: "Seattle, WA"}

// bandWith asks a replica for a band with a key ("" sends none).
func bandWith(r *replica, key string) error {
	ctx := context.Background()
	if key != "" {
		ctx = keyed(key)
	}
	_, err := pb.NewBandServiceClient(r.conn).RecommendBand(ctx, seattle)
	return err
}

// Three replicas on one PostgreSQL: keys, revocations, organisations and policies
// committed through one are served by the others within a second, with LISTEN and,
// after its connections are terminated, by polling; an import through one changes the
// others' bands; two updates with one etag: exactly one wins.
func TestReplicasStayInSync(t *testing.T) {
	url := pgtest.Database(t)
	r1 := startReplica(t, "replica 1", url)
	r2 := startReplica(t, "replica 2", url)
	r3 := startReplica(t, "replica 3", url)
	all := []*replica{r1, r2, r3}
	ctx := context.Background()

	boot, err := pb.NewAdminServiceClient(r1.conn).CreateApiKey(ctx, &pb.CreateApiKeyRequest{Parent: "organizations/platform",
		ApiKey: &pb.ApiKey{DisplayName: "bootstrap", Role: pb.Role_ROLE_PLATFORM_ADMIN}})
	if err != nil {
		t.Fatal(err)
	}
	root := boot.GetSecret()
	// From the first key on, every replica requires keys.
	for _, r := range all {
		within(t, time.Second, r.name+" requires keys", func() error {
			if err := bandWith(r, ""); status.Code(err) != codes.Unauthenticated {
				return fmt.Errorf("a call without a key answers %v", err)
			}
			return nil
		})
	}
	admin := pb.NewAdminServiceClient(r1.conn)
	if _, err := admin.CreateOrganization(keyed(root), &pb.CreateOrganizationRequest{OrganizationId: "acme"}); err != nil {
		t.Fatal(err)
	}
	// The organisation made on replica 1 is there on replica 2 within a second.
	var orgAdmin *pb.CreateApiKeyResponse
	within(t, time.Second, "the organisation on replica 2", func() error {
		orgAdmin, err = pb.NewAdminServiceClient(r2.conn).CreateApiKey(keyed(root), &pb.CreateApiKeyRequest{Parent: "organizations/acme",
			ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_ADMIN}})
		return err
	})
	// The admin key made on replica 2 reaches replica 1 within a second.
	var hris *pb.CreateApiKeyResponse
	within(t, time.Second, "the admin key on replica 1", func() error {
		hris, err = admin.CreateApiKey(keyed(orgAdmin.GetSecret()), &pb.CreateApiKeyRequest{Parent: "organizations/acme",
			ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_HRIS}})
		return err
	})
	made := time.Now()
	for _, r := range all {
		d := within(t, time.Since(made)+time.Second, "the hris key on "+r.name, func() error { return bandWith(r, hris.GetSecret()) })
		t.Logf("a key made on replica 1 works on %s after %v", r.name, d.Round(time.Millisecond))
	}

	// A policy created on replica 3 is served by replica 1.
	policies3 := pb.NewPolicyServiceClient(r3.conn)
	if _, err := policies3.CreatePolicy(keyed(orgAdmin.GetSecret()), &pb.CreatePolicyRequest{Parent: "organizations/acme", PolicyId: "half",
		Preset: "tokens-half-of-base"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*replica{r1, r2} {
		within(t, time.Second, "the policy on "+r.name, func() error {
			_, err := pb.NewBandServiceClient(r.conn).RecommendBand(keyed(hris.GetSecret()), &pb.RecommendBandRequest{JobFamily: "software-engineer",
				Level: "IC3", Location: "Seattle, WA", PolicyName: "organizations/acme/policies/half"})
			return err
		})
	}

	// A price book put through replica 2 prices Acme's bands on replicas 1 and 3: Argon
	// at 1 / 0.05 / 5 from 2026-12-01 is round(10^11 / 0.4875) tokens for $100,000.
	if _, err := pb.NewPriceBookServiceClient(r2.conn).UpdatePriceBook(keyed(orgAdmin.GetSecret()), &pb.UpdatePriceBookRequest{
		PriceBook: &pb.PriceBook{Name: "organizations/acme/priceBook", Prices: []*pb.ModelPrice{{Model: "gemini-4-argon",
			InputUsdPerMillion: 1, CachedInputUsdPerMillion: 0.05, OutputUsdPerMillion: 5, EffectiveDate: "2026-12-01"}}}}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*replica{r1, r3} {
		within(t, time.Second, "the price book on "+r.name, func() error {
			resp, err := pb.NewBandServiceClient(r.conn).RecommendBand(keyed(hris.GetSecret()), &pb.RecommendBandRequest{JobFamily: "software-engineer",
				Level: "IC3", Location: "Seattle, WA", EffectiveDate: "2026-12-01",
				TokenPolicy: &pb.TokenPolicy{Mode: pb.TokenMode_TOKEN_MODE_FIXED, FixedUsd: proto.Float64(100000)}})
			if err != nil {
				return err
			}
			for _, m := range resp.GetBand().GetTokens().GetModels() {
				if m.GetModel() == "gemini-4-argon" && m.GetTokensPerYear() == 205_128_205_128 && m.GetPriceBook() == "organizations/acme/priceBook" {
					return nil
				}
			}
			return fmt.Errorf("Argon is not at the negotiated price yet")
		})
	}

	// Two replicas update one policy with the same etag: exactly one succeeds.
	cur, err := policies3.GetPolicy(keyed(orgAdmin.GetSecret()), &pb.GetPolicyRequest{Name: "organizations/acme/policies/half"})
	if err != nil {
		t.Fatal(err)
	}
	codesSeen := make(chan codes.Code, 2)
	for i, r := range []*replica{r1, r2} {
		go func() {
			p := proto.Clone(cur.GetPolicy()).(*pb.Policy)
			p.TargetPercentile = proto.Float64(float64(60 + i))
			_, err := pb.NewPolicyServiceClient(r.conn).UpdatePolicy(keyed(orgAdmin.GetSecret()),
				&pb.UpdatePolicyRequest{Policy: p, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"target_percentile"}}})
			codesSeen <- status.Code(err)
		}()
	}
	a, b := <-codesSeen, <-codesSeen
	if !(a == codes.OK && b == codes.Aborted || a == codes.Aborted && b == codes.OK) {
		t.Errorf("two updates with one etag answered %v and %v, want OK and Aborted", a, b)
	}

	// A revocation through replica 3 is refused by all three within a second.
	revoked := time.Now()
	if _, err := pb.NewAdminServiceClient(r3.conn).RevokeApiKey(keyed(orgAdmin.GetSecret()), &pb.RevokeApiKeyRequest{Name: hris.GetApiKey().GetName()}); err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		within(t, time.Since(revoked)+time.Second, "the revocation on "+r.name, func() error {
			if err := bandWith(r, hris.GetSecret()); status.Code(err) != codes.Unauthenticated {
				return fmt.Errorf("the revoked key answers %v", err)
			}
			return nil
		})
	}

	// With the LISTEN connections terminated, polling still carries a revocation.
	pg, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(ctx)
	var terminated int
	if err := pg.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query ILIKE 'LISTEN%'`).Scan(&terminated); err != nil {
		t.Fatal(err)
	}
	if terminated != 3 {
		t.Errorf("terminated %d LISTEN connections, want 3", terminated)
	}
	second, err := admin.CreateApiKey(keyed(orgAdmin.GetSecret()), &pb.CreateApiKeyRequest{Parent: "organizations/acme", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_HRIS}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		within(t, 2*time.Second, "the second key on "+r.name, func() error { return bandWith(r, second.GetSecret()) })
	}
	revoked = time.Now()
	if _, err := admin.RevokeApiKey(keyed(orgAdmin.GetSecret()), &pb.RevokeApiKeyRequest{Name: second.GetApiKey().GetName()}); err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		within(t, time.Since(revoked)+time.Second, "the revocation without LISTEN on "+r.name, func() error {
			if err := bandWith(r, second.GetSecret()); status.Code(err) != codes.Unauthenticated {
				return fmt.Errorf("the revoked key answers %v", err)
			}
			return nil
		})
	}

	// An import through replica 2 changes the bands of replicas 1 and 3.
	analyst, err := admin.CreateApiKey(keyed(orgAdmin.GetSecret()), &pb.CreateApiKeyRequest{Parent: "organizations/acme", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_ANALYST}})
	if err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("report_date,company,company_level,title,location,base,equity,bonus,tokens_usd\n")
	for i := range 30 {
		fmt.Fprintf(&csv, "2026-09-01,%s,Software Engineer,\"Seattle, WA\",%d,30000,10000,0\n", ic3Levels[i%len(ic3Levels)], 150000+i*1000)
	}
	stream, err := pb.NewMarketServiceClient(r2.conn).ImportBenchmarks(keyed(root))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*pb.ImportBenchmarksRequest{
		{Part: &pb.ImportBenchmarksRequest_Header{Header: &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_PAYMIX_CSV, KeepDemo: true}}},
		{Part: &pb.ImportBenchmarksRequest_Chunk{Chunk: []byte(csv.String())}},
	} {
		if err := stream.Send(m); errors.Is(err, io.EOF) {
			break
		}
	}
	imported, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	// The checksum rule and request ids hold across replicas: the same file through
	// replica 3 is the first import, as is a retry with the first's request id.
	again, err := importCSVWith(keyed(root), r3, []byte(csv.String()), &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_PAYMIX_CSV, KeepDemo: true})
	if err != nil || !again.GetSummary().GetDuplicate() || again.GetDataset().GetName() != imported.GetDataset().GetName() {
		t.Errorf("the same file through replica 3: %v %v", again, err)
	}
	first, err := importCSVWith(keyed(root), r1, []byte(csv.String()+"2026-09-02,Google,L5,Software Engineer,\"Seattle, WA\",1,1,1,0\n"),
		&pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_PAYMIX_CSV, KeepDemo: true, RequestId: "retry-1"})
	if err != nil {
		t.Fatal(err)
	}
	retry, err := importCSVWith(keyed(root), r3, []byte("anything"), &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_PAYMIX_CSV, RequestId: "retry-1"})
	if err != nil || !retry.GetSummary().GetDuplicate() || retry.GetDataset().GetName() != first.GetDataset().GetName() {
		t.Errorf("a retry through replica 3 with replica 1's request id: %v %v", retry, err)
	}
	for _, r := range []*replica{r1, r3} {
		within(t, 5*time.Second, "the import on "+r.name, func() error {
			band, err := pb.NewBandServiceClient(r.conn).RecommendBand(keyed(analyst.GetSecret()), seattle)
			if err != nil {
				return err
			}
			for _, d := range band.GetBand().GetProvenance().GetDatasets() {
				if d.GetName() == imported.GetDataset().GetName() {
					return nil
				}
			}
			return fmt.Errorf("bands rest on %v", band.GetBand().GetProvenance().GetDatasets())
		})
	}
}

// healthOf is a replica's gRPC health for a service name.
func healthOf(r *replica, service string) healthpb.HealthCheckResponse_ServingStatus {
	resp, err := healthpb.NewHealthClient(r.conn).Check(context.Background(), &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return healthpb.HealthCheckResponse_UNKNOWN
	}
	return resp.GetStatus()
}

// healthz is a replica's /healthz body.
func healthz(t testing.TB, r *replica) map[string]any {
	resp, err := http.Get("http://" + r.httpAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	body["httpStatus"] = resp.StatusCode
	return body
}

// bigCSV is an import that takes a while to write: rows enough for PostgreSQL to be
// killed in the middle of it.
func bigCSV(rows int) []byte {
	var b strings.Builder
	b.WriteString("report_date,company,company_level,title,location,base,equity,bonus,tokens_usd\n")
	for i := range rows {
		fmt.Fprintf(&b, "2026-09-01,%s,Software Engineer,\"Seattle, WA\",%d,30000,10000,0\n", ic3Levels[i%len(ic3Levels)], 100000+i%50000)
	}
	return []byte(b.String())
}

// ic3Levels are six companies at their IC3 level: a band needs five companies.
var ic3Levels = []string{"Google,L5", "Meta,E5", "Amazon,L6", "Microsoft,63", "Apple,ICT4", "Uber,L5"}

func importCSV(ctx context.Context, r *replica, data []byte) (*pb.ImportBenchmarksResponse, error) {
	return importCSVWith(ctx, r, data, &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_PAYMIX_CSV})
}

func importCSVWith(ctx context.Context, r *replica, data []byte, h *pb.ImportHeader) (*pb.ImportBenchmarksResponse, error) {
	stream, err := pb.NewMarketServiceClient(r.conn).ImportBenchmarks(ctx)
	if err != nil {
		return nil, err
	}
	msgs := []*pb.ImportBenchmarksRequest{{Part: &pb.ImportBenchmarksRequest_Header{Header: h}}}
	for off := 0; off < len(data); off += 1 << 20 {
		msgs = append(msgs, &pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Chunk{Chunk: data[off:min(off+1<<20, len(data))]}})
	}
	for _, m := range msgs {
		if err := stream.Send(m); err != nil {
			break // the server answered early; CloseAndRecv says how
		}
	}
	return stream.CloseAndRecv()
}

// PostgreSQL killed (SIGKILL) in the middle of an import: both replicas keep answering
// bands from their last state with paymix.store NOT_SERVING and /healthz saying why;
// the import and other writes get Unavailable; once PostgreSQL is back the replicas
// catch up without a restart, no partial dataset is visible, and the next import works.
func TestStoreOutageDuringImport(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	r1 := startReplica(t, "replica 1", cluster.URL)
	r2 := startReplica(t, "replica 2", cluster.URL)
	ctx := context.Background()
	pg, err := pgx.Connect(ctx, cluster.URL)
	if err != nil {
		t.Fatal(err)
	}

	importErr := make(chan error, 1)
	go func() {
		_, err := importCSV(ctx, r1, bigCSV(400000))
		importErr <- err
	}()
	within(t, 60*time.Second, "rows of the import written", func() error {
		var n int
		if err := pg.QueryRow(ctx, `SELECT count(*) FROM observations`).Scan(&n); err != nil || n == 0 {
			return fmt.Errorf("%d rows (%v)", n, err)
		}
		return nil
	})
	pg.Close(ctx)
	cluster.Kill(t)

	if err := <-importErr; status.Code(err) != codes.Unavailable || !strings.Contains(status.Convert(err).Message(), "store is unreachable") {
		t.Errorf("the import's client got %v, want Unavailable saying the store is unreachable", err)
	}
	for _, r := range []*replica{r1, r2} {
		within(t, 5*time.Second, r.name+" reports the store down", func() error {
			if st := healthOf(r, "paymix.store"); st != healthpb.HealthCheckResponse_NOT_SERVING {
				return fmt.Errorf("paymix.store is %v", st)
			}
			return nil
		})
		if healthOf(r, "") != healthpb.HealthCheckResponse_SERVING || healthOf(r, "paymix.v1.BandService") != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("%s stopped serving bands in the outage", r.name)
		}
		if h := healthz(t, r); h["httpStatus"] != 200 || h["status"] != "SERVING" || !strings.HasPrefix(fmt.Sprint(h["store"]), "unavailable: ") {
			t.Errorf("%s /healthz in the outage: %v", r.name, h)
		}
		if err := bandWith(r, ""); err != nil {
			t.Errorf("%s: a band in the outage: %v", r.name, err)
		}
		_, err := pb.NewAdminServiceClient(r.conn).CreateOrganization(ctx, &pb.CreateOrganizationRequest{OrganizationId: "acme"})
		if status.Code(err) != codes.Unavailable {
			t.Errorf("%s: a write in the outage: %v", r.name, err)
		}
	}

	cluster.Start(t)
	for _, r := range []*replica{r1, r2} {
		within(t, 15*time.Second, r.name+" reports the store back", func() error {
			if st := healthOf(r, "paymix.store"); st != healthpb.HealthCheckResponse_SERVING {
				return fmt.Errorf("paymix.store is %v", st)
			}
			return nil
		})
		list, err := pb.NewDatasetServiceClient(r.conn).ListDatasets(ctx, &pb.ListDatasetsRequest{})
		if err != nil || len(list.GetDatasets()) != 1 || list.GetDatasets()[0].GetName() != "datasets/demo-synthetic" {
			t.Errorf("%s lists %v %v after the outage, want the demo alone", r.name, list, err)
		}
	}
	done, err := importCSV(ctx, r2, bigCSV(50))
	if err != nil || done.GetSummary().GetRowsAccepted() != 50 {
		t.Fatalf("the next import: %v %v", done, err)
	}
	within(t, 5*time.Second, "replica 1 serves the next import", func() error {
		band, err := pb.NewBandServiceClient(r1.conn).RecommendBand(ctx, seattle)
		if err != nil {
			return err
		}
		if ds := band.GetBand().GetProvenance().GetDatasets(); len(ds) != 1 || ds[0].GetName() != done.GetDataset().GetName() {
			return fmt.Errorf("bands rest on %v", ds)
		}
		return nil
	})
}

// pendingRowsPG counts rows and datasets of pending imports on PostgreSQL.
func pendingRowsPG(t testing.TB, pg *pgx.Conn) (rows, datasets int) {
	ctx := context.Background()
	if err := pg.QueryRow(ctx, `SELECT count(*) FROM observations WHERE dataset_id IN (SELECT id FROM datasets WHERE state = 'pending')`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if err := pg.QueryRow(ctx, `SELECT count(*) FROM datasets WHERE state = 'pending'`).Scan(&datasets); err != nil {
		t.Fatal(err)
	}
	return rows, datasets
}

// A replica that starts while another imports purges only dead imports: the import
// in flight succeeds. A replica killed (SIGKILL) mid-import leaves a pending dataset
// that the next replica to start purges, on PostgreSQL as on SQLite.
func TestImportsAcrossReplicaStartsAndKills(t *testing.T) {
	url := pgtest.Database(t)
	ctx := context.Background()
	pg, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(ctx)
	data, err := os.ReadFile(sharedFile)
	if err != nil {
		shareddata.Need(t)
		t.Fatal(err)
	}
	r1 := startReplica(t, "replica 1", url)
	importErr := make(chan error, 1)
	var imported *pb.ImportBenchmarksResponse
	go func() {
		stream, err := pb.NewMarketServiceClient(r1.conn).ImportBenchmarks(ctx)
		if err != nil {
			importErr <- err
			return
		}
		stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Header{Header: &pb.ImportHeader{Format: pb.ImportFormat_IMPORT_FORMAT_LEVELSFYI}}})
		for off := 0; off < len(data); off += 256 << 10 {
			if stream.Send(&pb.ImportBenchmarksRequest{Part: &pb.ImportBenchmarksRequest_Chunk{Chunk: data[off:min(off+256<<10, len(data))]}}) != nil {
				break
			}
		}
		imported, err = stream.CloseAndRecv()
		importErr <- err
	}()
	within(t, 60*time.Second, "rows of the import written", func() error {
		if rows, _ := pendingRowsPG(t, pg); rows == 0 {
			return errors.New("no pending rows yet")
		}
		return nil
	})
	startReplica(t, "replica 3", url) // purges at start-up, beside the live import
	if err := <-importErr; err != nil {
		t.Fatalf("the import beside a starting replica: %v", err)
	}
	if imported.GetSummary().GetRowsAccepted() < 60000 {
		t.Errorf("imported %v", imported.GetSummary())
	}

	// Now a replica killed in the middle of an import.
	r2 := startReplica(t, "replica 2", url)
	go importCSV(ctx, r2, bigCSV(400000))
	within(t, 60*time.Second, "rows of the second import written", func() error {
		if rows, _ := pendingRowsPG(t, pg); rows == 0 {
			return errors.New("no pending rows yet")
		}
		return nil
	})
	if err := r2.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	r2.cmd.Wait()
	if rows, datasets := pendingRowsPG(t, pg); rows == 0 || datasets != 1 {
		t.Fatalf("after the kill: %d pending rows in %d datasets, want a leftover", rows, datasets)
	}
	startReplica(t, "replica 4", url)
	if rows, datasets := pendingRowsPG(t, pg); rows != 0 || datasets != 0 {
		t.Errorf("after a replica's start: %d pending rows in %d datasets", rows, datasets)
	}
	list, err := pb.NewDatasetServiceClient(r1.conn).ListDatasets(ctx, &pb.ListDatasetsRequest{})
	if err != nil || len(list.GetDatasets()) != 2 {
		t.Errorf("datasets after the kill: %v %v, want the demo and the first import", list, err)
	}
}
