package main

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// writeChart draws the report as an SVG: on the left the latency
// distributions of the overhead runs, on the right makespan against N.
func writeChart(w io.Writer, r *Report) error {
	latency, err := latencyPlot(r)
	if err != nil {
		return err
	}
	makespan, err := makespanPlot(r)
	if err != nil {
		return err
	}
	const width, height = 12 * vg.Inch, 5 * vg.Inch
	c := vgsvg.New(width, height)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Inch / 2, PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 8}
	plots := [][]*plot.Plot{{latency, makespan}}
	canvases := plot.Align(plots, tiles, dc)
	for j, p := range plots[0] {
		p.Draw(canvases[0][j])
	}
	_, err = c.WriteTo(w)
	return err
}

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // blue
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, // red
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, // green
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, // orange
}

// latencyPlot is the cumulative distribution of attach(1) latency: for
// each latency, the share of requests that took at most that long. The
// latency axis is logarithmic so that 0 ms and 20 ms upstreams fit.
func latencyPlot(r *Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "attach(1) latency, cumulative"
	p.X.Label.Text = "latency (ms, log scale)"
	p.Y.Label.Text = "share of requests (%)"
	if len(r.Overhead) == 0 {
		p.Title.Text += ": not run"
		return p, nil // a log scale needs data
	}
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = 0, 100
	// Top left is empty: below 1 ms few requests have finished.
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	i := 0
	for _, o := range r.Overhead {
		for _, s := range []struct {
			name   string
			sum    Summary
			dashes []vg.Length
		}{
			{"direct REST", o.Direct, []vg.Length{vg.Points(5), vg.Points(3)}},
			{"pass-through proxy", o.Passthrough, []vg.Length{vg.Points(1), vg.Points(2)}},
			{"gateway", o.Gateway, nil},
		} {
			pts := make(plotter.XYs, 0, len(s.sum.Quantiles))
			for k, q := range s.sum.Quantiles {
				pts = append(pts, plotter.XY{X: max(q, 0.01), Y: 100 * QuantileLevels[k]})
			}
			if len(pts) == 0 {
				continue
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			l.Color = palette[i%len(palette)]
			l.Width = vg.Points(1.5)
			l.Dashes = s.dashes
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%s, upstream %g ms", s.name, o.UpstreamLatencyMs), l)
		}
		i++
	}
	return p, nil
}

// makespanPlot is attach(N) makespan against N: the ideal, the paced
// gateway and the unpaced one, each point of the latter two labelled with
// the 503s it provoked.
func makespanPlot(r *Report) (*plot.Plot, error) {
	p := plot.New()
	p.X.Label.Text = "environments per attach (N)"
	p.Y.Label.Text = "makespan (s)"
	p.Y.Min = 0
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	m := r.Makespan
	if m == nil {
		p.Title.Text = "attach(N) makespan: not run"
		return p, nil
	}
	p.Title.Text = fmt.Sprintf("attach(N) makespan, %g req/s budget, %g ms upstream", m.BudgetPerSecond, m.UpstreamLatencyMs)
	series := []struct {
		name  string
		runs  []MakespanRun
		ideal bool
	}{{"ideal: N/budget + RTT", m.Paced, true}, {"gateway, paced", m.Paced, false}, {"gateway, unpaced", m.Unpaced, false}}
	if len(m.Paced) == 0 {
		series[0].runs = m.Unpaced
	}
	for i, s := range series {
		if len(s.runs) == 0 {
			continue
		}
		pts := make(plotter.XYs, len(s.runs))
		labels := make([]string, len(s.runs))
		for k, run := range s.runs {
			y := run.Seconds
			if s.ideal {
				y = run.IdealSeconds
			} else {
				labels[k] = fmt.Sprintf("%d×503", run.Throttled)
				if run.Failed > 0 {
					labels[k] += fmt.Sprintf(", %d failed", run.Failed)
				}
			}
			pts[k] = plotter.XY{X: float64(run.N), Y: y}
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		l.Color, sc.Color = palette[i], palette[i]
		if s.ideal {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l, sc)
		p.Legend.Add(s.name, l, sc)
		if !s.ideal {
			lb, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: labels})
			if err != nil {
				return nil, err
			}
			for k := range lb.TextStyle {
				lb.TextStyle[k].Color = palette[i]
				lb.TextStyle[k].XAlign = draw.XRight
			}
			// Paced labels above their points, unpaced ones below.
			lb.Offset = vg.Point{X: -vg.Points(4), Y: vg.Points(4)}
			if s.name == "gateway, unpaced" {
				lb.Offset.Y = -vg.Points(12)
			}
			p.Add(lb)
		}
	}
	return p, nil
}
