package server_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// A caller's request id is kept only when it is at most 64 characters of
// [A-Za-z0-9._:-]; anything else (a pasted key, text for the log) is replaced by an
// id of paymix's own, which is what the log then carries.
func TestRequestIDsAreSanitised(t *testing.T) {
	s := start(t, nil).ready(t)
	own := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for id, kept := range map[string]bool{
		"req-42:a.b_c":                  true,
		strings.Repeat("a", 64):         true,
		strings.Repeat("a", 65):         false,
		"pmx_live key with spaces":      false,
		"x level=ERROR msg=forged":      false,
		"<script>":                      false,
		"Bearer pmx_AbCdEf0123456789==": false,
	} {
		req, _ := http.NewRequest("GET", s.base+"/v1/catalog", nil)
		req.Header["X-Request-Id"] = []string{id}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("X-Request-Id")
		if kept && got != id || !kept && !own.MatchString(got) {
			t.Errorf("%q came back as %q", id, got)
		}
	}
}
