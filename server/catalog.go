package server

import (
	"context"

	pb "github.com/paymix/paymix/gen/paymix/v1"
	"github.com/paymix/paymix/planner/catalog"
	"github.com/paymix/paymix/planner/tokens"
)

// catalogService lists the ids requests may use, and the defaults.
type catalogService struct {
	pb.UnimplementedCatalogServiceServer
	resp *pb.GetCatalogResponse // built once: the catalog is static
}

func newCatalogService() *catalogService {
	r := &pb.GetCatalogResponse{DefaultUsageMix: usageMixProto(tokens.DefaultUsageMix)}
	for _, f := range catalog.Families {
		r.JobFamilies = append(r.JobFamilies, &pb.JobFamily{Id: f.ID, Name: f.Name})
	}
	for _, l := range catalog.Ladder {
		r.Levels = append(r.Levels, &pb.Level{Id: l.ID, Name: l.Name, Track: string(l.Track)})
	}
	for _, m := range catalog.Metros {
		r.Metros = append(r.Metros, &pb.Metro{Id: m.ID, Name: m.Name, ZoneId: m.Zone, CountryCode: m.Country})
	}
	for _, z := range catalog.Zones {
		r.Zones = append(r.Zones, &pb.Zone{Id: z.ID, Name: z.Name, CountryCode: z.Country})
	}
	for _, c := range catalog.Countries {
		r.Countries = append(r.Countries, &pb.Country{Code: c.Code, Name: c.Name})
	}
	for _, p := range tokens.BuiltInPrices {
		r.Prices = append(r.Prices, priceProto(p))
	}
	r.PriceBookDate = date(tokens.BuiltInDate)
	return &catalogService{resp: r}
}

func (s *catalogService) GetCatalog(context.Context, *pb.GetCatalogRequest) (*pb.GetCatalogResponse, error) {
	return s.resp, nil
}
