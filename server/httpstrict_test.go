package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paymix/paymix/gen/openapi"
	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/server"
)

// Every HTTP rule of the OpenAPI document: a query parameter on a method whose body is
// the whole request answers 400 (the gateway would drop it), and every documented
// query parameter of the others is still accepted.
func TestQueryParametersFollowTheHTTPRules(t *testing.T) {
	s := start(t, nil).ready(t)
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name, In, Type, Pattern string
				Enum                    []string
			}
		}
	}
	if err := json.Unmarshal(openapi.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	whole, documented := 0, 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			// A concrete path: each {param} by its pattern, with "acme" for each segment.
			url := path
			for _, p := range op.Parameters {
				if p.In == "path" {
					v := "Google"
					if p.Pattern != "" {
						v = strings.ReplaceAll(p.Pattern, "[^/]+", "acme")
					}
					url = strings.ReplaceAll(url, "{"+p.Name+"}", v)
				}
			}
			isWhole := false
			for _, p := range op.Parameters {
				isWhole = isWhole || p.In == "body" && p.Name == "body"
			}
			if isWhole {
				whole++
				code, body := s.send(t, strings.ToUpper(method), url+"?targetPercentile=90", "{}")
				if code != 400 || !strings.Contains(string(body), "not read, so they are refused") {
					t.Errorf("%s %s with a query: HTTP %d %s", method, path, code, body)
				}
				continue
			}
			for _, p := range op.Parameters {
				if p.In != "query" {
					continue
				}
				documented++
				v := map[string]string{"integer": "1", "number": "50", "boolean": "true", "array": "x"}[p.Type]
				if v == "" {
					v = "x"
				}
				if len(p.Enum) > 0 {
					v = p.Enum[len(p.Enum)-1]
				}
				code, body := s.send(t, strings.ToUpper(method), url+"?"+p.Name+"="+v, "")
				if strings.Contains(string(body), "unknown query parameter") || strings.Contains(string(body), "not read, so they are refused") {
					t.Errorf("%s %s?%s=%s: HTTP %d %s", method, path, p.Name, v, code, body)
				}
			}
		}
	}
	if whole < 9 || documented < 40 {
		t.Fatalf("%d whole-body rules, %d documented query parameters", whole, documented)
	}
}

func (s *testServer) send(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Input the gateway would silently misread is refused: data after the JSON value,
// a body over 1 MiB (413, with or without a length), %FF in the path or query.
func TestHTTPRefusesWhatItWouldMisread(t *testing.T) {
	s := start(t, nil).ready(t)
	seattle := `{"jobFamily":"software-engineer","level":"IC3","location":"Seattle, WA"}`
	for _, c := range []struct {
		method, path, body string
		code               int
		says               string
	}{
		{"POST", "/v1/bands:recommend", seattle + `{"level":"IC7"}`, 400, "data after its JSON value"},
		{"POST", "/v1/bands:recommend", seattle + "\n  ", 200, ""},
		{"POST", "/v1/bands:recommend", `{"jobFamily":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "larger than 1 MiB"},
		{"GET", "/v1/bands:recommend?jobFamily=software-engineer&level=IC3&location=%FF", "", 400, "not valid UTF-8"},
		{"GET", "/v1/%FF", "", 400, "not valid UTF-8"},
		{"GET", "/v1/market/stats?jobFamily=%zz", "", 400, "malformed"},
	} {
		code, body := s.send(t, c.method, c.path, c.body)
		if code != c.code || !strings.Contains(string(body), c.says) {
			t.Errorf("%s %.80s: HTTP %d %.200s", c.method, c.path, code, body)
		}
	}
	// A chunked body (no length) over the limit is 413 too.
	req, _ := http.NewRequest("POST", s.base+"/v1/bands:recommend", io.MultiReader(strings.NewReader(`{"location":"`), strings.NewReader(strings.Repeat("x", 2<<20))))
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("chunked body over the limit: HTTP %d", resp.StatusCode)
	}
}

// Where keys are required, a request without one (or with one the key index does not
// know) is answered 401 before its body is read: a client that sends headers
// announcing a megabyte and nothing more gets its answer at once. A slow body with a
// key is cut at the read timeout.
func TestHTTPAuthBeforeBodyAndSlowBodies(t *testing.T) {
	s := startWith(t, func(c *server.Config) { c.HTTPReadTimeout = 500 * time.Millisecond }).ready(t)
	root, err := pb.NewAdminServiceClient(s.conn).CreateApiKey(context.Background(), &pb.CreateApiKeyRequest{
		Parent: "organizations/platform", ApiKey: &pb.ApiKey{Role: pb.Role_ROLE_PLATFORM_ADMIN}})
	if err != nil {
		t.Fatal(err)
	}
	raw := func(auth string) (string, time.Duration) {
		conn, err := net.Dial("tcp", s.srv.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		fmt.Fprintf(conn, "POST /v1/bands:recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n%sContent-Length: 1000000\r\n\r\n{", auth)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(conn).ReadString('\n')
		return strings.TrimSpace(line), time.Since(start)
	}
	for _, auth := range []string{"", "Authorization: Bearer pmx_0123456789abcdef0123456789abcdef\r\n"} {
		if line, took := raw(auth); !strings.HasPrefix(line, "HTTP/1.1 401") || took > time.Second {
			t.Errorf("%q: %q after %v", auth, line, took)
		}
	}
	// With a valid key the body is awaited, for the read timeout only.
	line, took := raw("Authorization: Bearer " + root.GetSecret() + "\r\n")
	if took > 3*time.Second || strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Errorf("a slow body with a key: %q after %v", line, took)
	}
}
