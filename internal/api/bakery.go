package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/crumbcommander/crumb/internal/apperr"
	"github.com/crumbcommander/crumb/internal/auth"
	"github.com/crumbcommander/crumb/internal/bakery"
)

func (s *Server) mountBakery(r *gin.RouterGroup) {
	r.GET("/bakery/settings", s.getBakerySettings)
	r.PUT("/bakery/settings", updated(s, s.Bakery.PutSettings))
	r.GET("/bakery/items", s.listBakeryItems)
	r.POST("/bakery/items", created(s, s.Bakery.CreateItem))
	r.PATCH("/bakery/items/:id", patched(s, s.Bakery.UpdateItem))
	r.GET("/bakery/sheets", s.bakeryHistory)
	r.GET("/bakery/sheets/:date/:kind", s.getBakerySheet)
	r.PUT("/bakery/sheets/:date/:kind", s.putBakerySheet)
	r.POST("/bakery/sheets/:date/:kind/counts", s.countBakery)
	r.POST("/bakery/sheets/:date/:kind/finalize", s.finalizeBakerySheet)
	r.POST("/bakery/sheets/:date/:kind/reset", s.resetBakerySheet)
}

func (s *Server) getBakerySettings(c *gin.Context) {
	st, err := s.Bakery.GetSettings(c.Request.Context())
	s.render(c, http.StatusOK, st, err)
}

func (s *Server) listBakeryItems(c *gin.Context) {
	all, err := queryBool(c, "all")
	if err != nil {
		s.fail(c, err)
		return
	}
	f := bakery.ItemFilter{Kind: c.Query("kind"), All: all != nil && *all}
	items, err := s.Bakery.ListItems(c.Request.Context(), principal(c), f)
	s.render(c, http.StatusOK, gin.H{"items": items}, err)
}

func (s *Server) bakeryHistory(c *gin.Context) {
	f := bakery.HistoryFilter{Kind: c.Query("kind")}
	for _, q := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := c.Query(q.name); v != "" {
			d, err := bakery.ParseDate(v)
			if err != nil {
				s.fail(c, apperr.New(apperr.BadRequest, "%s must be a date like 2026-12-01", q.name))
				return
			}
			*q.dst = d
		}
	}
	items, err := s.Bakery.History(c.Request.Context(), principal(c), f)
	s.render(c, http.StatusOK, gin.H{"items": items}, err)
}

// sheetParams reads {date} and {kind}; "rtu.csv" asks for CSV like ?format=csv.
func sheetParams(c *gin.Context) (date string, kind string, csv bool) {
	kind = c.Param("kind")
	if k, ok := strings.CutSuffix(kind, ".csv"); ok {
		kind, csv = k, true
	}
	return c.Param("date"), kind, csv || c.Query("format") == "csv"
}

func (s *Server) getBakerySheet(c *gin.Context) {
	ds, kind, csv := sheetParams(c)
	date, err := bakery.ParseDate(ds)
	if err != nil {
		s.fail(c, err)
		return
	}
	if f := c.Query("format"); f != "" && f != "csv" && f != "json" {
		s.fail(c, apperr.New(apperr.BadRequest, "format must be json or csv"))
		return
	}
	sh, err := s.Bakery.GetSheet(c.Request.Context(), principal(c), date, kind)
	if err != nil || !csv {
		s.render(c, http.StatusOK, sh, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="bakery-`+sh.Kind+`-`+sh.Date+`.csv"`)
	c.Status(http.StatusOK)
	if err := bakery.WriteCSV(c.Writer, sh); err != nil {
		s.Log.Warn("bakery csv", "request_id", requestIDOf(c), "err", err)
	}
}

// sheetWrite parses {date}/{kind} and If-Match for the sheet's writes.
func sheetWrite(c *gin.Context) (date time.Time, kind string, v *int64, err error) {
	ds, kind, csv := sheetParams(c)
	if csv {
		return time.Time{}, "", nil, apperr.NotFoundf("sheet kind")
	}
	if date, err = bakery.ParseDate(ds); err != nil {
		return time.Time{}, "", nil, err
	}
	v, err = ifMatch(c)
	return date, kind, v, err
}

func (s *Server) putBakerySheet(c *gin.Context) {
	date, kind, v, err := sheetWrite(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in bakery.SheetInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	sh, err := s.Bakery.PutSheet(c.Request.Context(), principal(c), date, kind, in, v)
	s.render(c, http.StatusOK, sh, err)
}

func (s *Server) countBakery(c *gin.Context) {
	date, kind, _, err := sheetWrite(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in bakery.CountInput
	if err := bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	ev, err := s.Bakery.Count(c.Request.Context(), principal(c), date, kind, in)
	s.render(c, http.StatusOK, ev, err)
}

func (s *Server) finalizeBakerySheet(c *gin.Context) { s.sheetAction(c, s.Bakery.Finalize) }

func (s *Server) resetBakerySheet(c *gin.Context) { s.sheetAction(c, s.Bakery.Reset) }

func (s *Server) sheetAction(c *gin.Context, act func(context.Context, auth.Principal, time.Time, string, *int64) (bakery.Sheet, error)) {
	date, kind, v, err := sheetWrite(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	sh, err := act(c.Request.Context(), principal(c), date, kind, v)
	s.render(c, http.StatusOK, sh, err)
}
