package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/paymix/paymix/gen/openapi"
	"github.com/paymix/paymix/planner"
)

// HTTP timeouts (README, "Configuration"): a request, body included, must arrive
// within httpReadTimeout, and an idle keep-alive connection is closed after
// httpIdleTimeout. Responses have no write timeout: a stream of bands may run long,
// and --stream-stall-timeout ends one its client does not read.
const (
	httpReadTimeout   = 30 * time.Second
	httpIdleTimeout   = 120 * time.Second
	httpHeaderTimeout = 10 * time.Second
)

// wholeBodyRoutes are the HTTP rules whose body is the whole request (body: "*"): a
// query parameter there would be silently dropped by the gateway, so it is refused.
// They are read from the OpenAPI document, whose body parameter is then named "body".
var wholeBodyRoutes = func() []route {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name, In, Pattern string
			}
		}
	}
	if err := json.Unmarshal(openapi.JSON, &doc); err != nil {
		panic(err)
	}
	var out []route
	for path, ops := range doc.Paths {
		for method, op := range ops {
			patterns := map[string]string{}
			whole := false
			for _, p := range op.Parameters {
				switch {
				case p.In == "body" && p.Name == "body":
					whole = true
				case p.In == "path":
					patterns[p.Name] = p.Pattern
				}
			}
			if !whole {
				continue
			}
			// Literal parts quoted, each {param} by its pattern.
			var re strings.Builder
			rest := path
			for {
				i := strings.IndexByte(rest, '{')
				j := strings.IndexByte(rest, '}')
				if i < 0 || j < i {
					re.WriteString(regexp.QuoteMeta(rest))
					break
				}
				re.WriteString(regexp.QuoteMeta(rest[:i]))
				if p := patterns[rest[i+1:j]]; p != "" {
					re.WriteString(p)
				} else {
					re.WriteString("[^/]+")
				}
				rest = rest[j+1:]
			}
			out = append(out, route{method: strings.ToUpper(method), path: regexp.MustCompile("^" + re.String() + "$")})
		}
	}
	return out
}()

type route struct {
	method string
	path   *regexp.Regexp
}

func wholeBody(r *http.Request) bool {
	for _, rt := range wholeBodyRoutes {
		if rt.method == r.Method && rt.path.MatchString(r.URL.Path) {
			return true
		}
	}
	return false
}

// httpGuard checks what the gateway would otherwise misread or read too much of,
// before any of the body is read: a malformed path or query, a query on a whole-body
// method, a missing or unknown key where keys are required (401; roles are the
// interceptor's), a body over the limit (413). Then it reads the body, within the
// limit, and refuses data after its JSON value.
func (s *Server) httpGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !utf8.ValidString(r.URL.Path) {
			httpError(w, http.StatusBadRequest, codes.InvalidArgument, "the path is not valid UTF-8 once decoded")
			return
		}
		query, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			httpError(w, http.StatusBadRequest, codes.InvalidArgument, "the query string is malformed: "+err.Error())
			return
		}
		for k, vs := range query {
			for _, v := range append(vs, k) {
				if !utf8.ValidString(v) {
					httpError(w, http.StatusBadRequest, codes.InvalidArgument, "the query parameter "+quoteShort(k)+" is not valid UTF-8 once decoded")
					return
				}
			}
		}
		if r.URL.RawQuery != "" && wholeBody(r) {
			httpError(w, http.StatusBadRequest, codes.InvalidArgument, "this method takes its whole request in the body; query parameters ("+quoteShort(r.URL.RawQuery)+") are not read, so they are refused")
			return
		}
		if pub := s.app.Current(); pub != nil && pub.KeysRequired {
			if _, err := pub.Authenticate(r.Header.Values("Authorization"), s.cfg.Now()); err != nil {
				httpError(w, http.StatusUnauthorized, codes.Unauthenticated, authMessage(err))
				return
			}
		}
		if r.ContentLength > maxHTTPBody {
			httpError(w, http.StatusRequestEntityTooLarge, codes.InvalidArgument, "the body is larger than 1 MiB")
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHTTPBody))
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				httpError(w, http.StatusRequestEntityTooLarge, codes.InvalidArgument, "the body is larger than 1 MiB")
				return
			case err != nil:
				httpError(w, http.StatusBadRequest, codes.InvalidArgument, "the body could not be read: "+err.Error())
				return
			}
			if err := oneJSONValue(body); err != nil {
				httpError(w, http.StatusBadRequest, codes.InvalidArgument, err.Error())
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// oneJSONValue refuses a body with anything but white space after its first JSON
// value (`{...}{"level":"IC7"}`); an empty body is left to the method.
func oneJSONValue(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return nil // the gateway says what is wrong with it
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("the body holds data after its JSON value; send one JSON object")
	}
	return nil
}

func authMessage(err error) string {
	var pe *planner.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return status.Convert(err).Message()
}

func quoteShort(s string) string {
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

// httpError answers as the gateway does: {"code", "message", "details"}.
func httpError(w http.ResponseWriter, httpStatus int, code codes.Code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": int(code), "message": msg, "details": []any{}})
}
