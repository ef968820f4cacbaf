package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "github.com/paymix/paymix/gen/paymix/v1"
)

const offersUsage = `Usage:
  paymix offers evaluate [--json] FILE    one offer ({"offer": {...}, "assumptions": {...}}, or the offer alone)
  paymix offers compare [--json] FILE     2-5 offers ({"offers": [...], "assumptions": {...}}, or the list alone)

FILE is JSON or YAML with the API's field names (see docs/offers.md); "-" reads stdin.
`

func runOffers(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, offersUsage)
		return exitOK
	}
	if len(args) == 0 || (args[0] != "evaluate" && args[0] != "compare") {
		fmt.Fprintf(stderr, "paymix offers: give a command: evaluate or compare (see paymix offers -h)\n")
		return exitUsage
	}
	sub := args[0]
	cmd := newCommand("paymix offers "+sub, offersUsage, stdout, stderr)
	conn := addConnFlags(cmd.fs)
	asJSON := cmd.fs.Bool("json", false, "print the server's answer as JSON")
	if code, ok := cmd.parse(args[1:]); !ok {
		return code
	}
	if len(cmd.args) != 1 {
		return cmd.usageError("give one FILE (- for standard input)")
	}
	wrap := map[string]string{"evaluate": "offer", "compare": "offers"}[sub]
	raw, err := readRequest(cmd.args[0], wrap)
	if err != nil {
		return cmd.localError(err)
	}
	cc, err := conn.dial()
	if err != nil {
		return cmd.localError(err)
	}
	defer cc.Close()
	client := pb.NewOfferServiceClient(cc)
	var resp proto.Message
	if sub == "evaluate" {
		req := &pb.EvaluateOfferRequest{}
		if err := protojson.Unmarshal(raw, req); err != nil {
			return cmd.localError(fmt.Errorf("%s: %w", cmd.args[0], err))
		}
		r, err := client.EvaluateOffer(ctx, req)
		if err != nil {
			return cmd.serverError(err)
		}
		resp = r
		if !*asJSON {
			printEvaluation(stdout, r.GetEvaluation())
		}
	} else {
		req := &pb.CompareOffersRequest{}
		if err := protojson.Unmarshal(raw, req); err != nil {
			return cmd.localError(fmt.Errorf("%s: %w", cmd.args[0], err))
		}
		r, err := client.CompareOffers(ctx, req)
		if err != nil {
			return cmd.serverError(err)
		}
		resp = r
		if !*asJSON {
			printComparison(stdout, r)
		}
	}
	if *asJSON {
		b, _ := protojson.MarshalOptions{Multiline: true, EmitDefaultValues: true}.Marshal(resp)
		fmt.Fprintln(stdout, string(b))
	}
	return 0
}

// readRequest reads JSON or YAML (JSON is YAML) into request JSON; with wrap, a document
// that is only the offer (or the list of offers) is wrapped under that field.
func readRequest(path, wrap string) ([]byte, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch d := doc.(type) {
	case map[string]any:
		if _, ok := d[wrap]; !ok && wrap != "" {
			doc = map[string]any{wrap: d}
		}
	case []any:
		if wrap == "" {
			return nil, fmt.Errorf("%s: want an object", path)
		}
		doc = map[string]any{wrap: d}
	default:
		return nil, fmt.Errorf("%s: want an object or a list", path)
	}
	return json.Marshal(doc)
}

func money(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-$" + s
	}
	return "$" + s
}

func printEvaluation(w io.Writer, e *pb.OfferEvaluation) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if e.GetName() != "" {
		fmt.Fprintf(w, "%s\n", e.GetName())
	}
	fmt.Fprintf(tw, "headline total (annualised)\t%s\t\n", money(e.GetHeadlineTotal()))
	fmt.Fprintf(tw, "first-year total\t%s\t\n", money(e.GetFirstYearTotal()))
	fmt.Fprintf(tw, "base + equity + bonus (what raises build on; no tokens)\t%s\t\n", money(e.GetNegotiationBase()))
	fmt.Fprintf(tw, "token share of headline\t%.2f%%\t\n", e.GetTokenSharePercent())
	fmt.Fprintf(tw, "tokens' cash equivalent\t%s\t\n", money(e.GetTokenCashEquivalent()))
	fmt.Fprintf(tw, "cost to the company\t%s\t\n", money(e.GetCompanyView().GetCostToCompany()))
	fmt.Fprintf(tw, "value to the engineer\t%s\t\n", money(e.GetCompanyView().GetValueToEngineer()))
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "component\tannual\tshare\tmarket pct\tcompa-ratio\tpenetration\t")
	positions := map[pb.Component]*pb.Position{}
	var total *pb.Position
	for _, p := range e.GetPositions() {
		if p.GetComponent() == pb.Component_COMPONENT_TOTAL {
			total = p
		} else {
			positions[p.GetComponent()] = p
		}
	}
	opt := func(v *float64, format string) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprintf(format, *v)
	}
	for _, c := range e.GetComponents() {
		p := positions[c.GetComponent()]
		if p == nil { // no market position (no tokens, or no market data)
			p = &pb.Position{}
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f%%\t%s\t%s\t%s\t\n", strings.ToLower(strings.TrimPrefix(c.GetComponent().String(), "COMPONENT_")),
			money(c.GetAnnual()), c.GetSharePercent(), opt(p.MarketPercentile, "%.1f"), opt(p.CompaRatio, "%.2f"), opt(p.RangePenetration, "%.2f"))
	}
	if total != nil {
		fmt.Fprintf(tw, "total (no tokens)\t%s\t\t%s\t%s\t%s\t\n", money(total.GetValue()), opt(total.MarketPercentile, "%.1f"),
			opt(total.CompaRatio, "%.2f"), opt(total.RangePenetration, "%.2f"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "year\tbase\tbonus\tequity vests\tsign-on\ttokens\ttotal\ttokens as base\tgap so far\t")
	for _, y := range e.GetProjection() {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", y.GetYear(), money(y.GetBase()), money(y.GetBonus()), money(y.GetEquityVested()),
			money(y.GetSignOn()), money(y.GetTokens()), money(y.GetTotal()), money(y.GetTokensAsBase()), money(y.GetCumulativeGap()))
	}
	tw.Flush()
	for _, f := range e.GetFlags() {
		fmt.Fprintf(w, "\n! %s: %s\n", f.GetCode(), f.GetExplanation())
	}
	// The band the offer is placed in says what its market is (synthetic data, a
	// fallback, withheld figures): a reader of the positions must see it too.
	if ws := e.GetBand().GetWarnings(); len(ws) > 0 {
		fmt.Fprintln(w, "\nthe band behind the positions:")
		for _, wn := range ws {
			fmt.Fprintf(w, "  %s: %s\n", wn.GetCode(), wn.GetMessage())
		}
	}
}

func printComparison(w io.Writer, r *pb.CompareOffersResponse) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "\t"
	for _, e := range r.GetEvaluations() {
		header += e.GetName() + "\t"
	}
	fmt.Fprintln(tw, header)
	row := func(label string, get func(*pb.OfferEvaluation) string) {
		line := label + "\t"
		for _, e := range r.GetEvaluations() {
			line += get(e) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	row("headline total", func(e *pb.OfferEvaluation) string { return money(e.GetHeadlineTotal()) })
	row("first-year total", func(e *pb.OfferEvaluation) string { return money(e.GetFirstYearTotal()) })
	row("negotiation base", func(e *pb.OfferEvaluation) string { return money(e.GetNegotiationBase()) })
	row("token share", func(e *pb.OfferEvaluation) string { return fmt.Sprintf("%.2f%%", e.GetTokenSharePercent()) })
	for _, y := range r.GetYears() {
		line := fmt.Sprintf("year %d pays (tokens at face value)\t", y.GetYear())
		for _, v := range y.GetTotals() {
			line += money(v) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	for _, y := range r.GetYears() {
		line := fmt.Sprintf("year %d worth to the engineer\t", y.GetYear())
		for _, v := range y.GetValues() {
			line += money(v) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	line := "value to engineer\t"
	for _, v := range r.GetValues() {
		line += money(v) + "\t"
	}
	fmt.Fprintln(tw, line)
	tw.Flush()
	fmt.Fprintf(w, "\n%s\n", r.GetSummary())
	for _, b := range r.GetBreakEvens() {
		fmt.Fprintf(w, "%s\n", b.GetExplanation())
	}
}
