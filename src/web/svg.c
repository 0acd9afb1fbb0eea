/*
 * svg.c: server-side SVG charts (stacked bars, ranges). See svg.h.
 */
#include "web/svg.h"
#include "util/buf.h"
#include "web/html.h"

/* Colour-blind-safe palette (Okabe-Ito), repeated when there are more series. */
static const char *const palette[] = { "#0072B2", "#E69F00", "#009E73", "#CC79A7",
				       "#56B4E9", "#D55E00", "#F0E442", "#000000" };
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

#define BAR_W 36
#define BAR_GAP 16
#define PLOT_H 180
#define LEFT 40
#define TOP 16
#define LEGEND_ROW 18

static void open_svg(struct buf *b, const char *id, const char *title, int w, int h)
{
	html_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" class=\"chart\" "
		       "role=\"img\" aria-labelledby=\"%s-t\" width=\"%d\" height=\"%d\" "
		       "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">"
		       "<title id=\"%s-t\">%s</title>",
		    id, id, w, h, w, h, id, title);
}

/* A round top for the axis: the smallest 1, 2 or 5 times a power of ten at least max. */
static int64_t nice_max(int64_t max)
{
	int64_t step = 1;

	if (max <= 0)
		return 1;
	for (;;) {
		if (max <= step)
			return step;
		if (max <= 2 * step)
			return 2 * step;
		if (max <= 5 * step)
			return 5 * step;
		step *= 10;
	}
}

static int64_t column_total(const struct svg_series *series, size_t nseries, size_t i)
{
	int64_t t = 0;

	for (size_t s = 0; s < nseries; s++)
		t += series[s].values[i] > 0 ? series[s].values[i] : 0;
	return t;
}

static void legend(struct buf *b, const struct svg_series *series, size_t nseries, int y)
{
	for (size_t s = 0; s < nseries; s++) {
		int x = LEFT + (int)(s % 4) * 130, yy = y + (int)(s / 4) * LEGEND_ROW;
		html_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
			       "<text x=\"%d\" y=\"%d\">%s</text>",
			    x, yy, palette[s % NPALETTE], x + 14, yy + 9, series[s].name);
	}
}

void svg_stacked_bars(struct buf *b, const char *id, const char *title,
		      const char *const *labels, size_t n, const struct svg_series *series,
		      size_t nseries)
{
	int64_t max = 0, top;
	int w = LEFT + (int)n * (BAR_W + BAR_GAP) + BAR_GAP, base = TOP + PLOT_H;
	int h = base + 24 + (int)((nseries + 3) / 4) * LEGEND_ROW + 8;

	if (w < LEFT + 4 * 130)
		w = LEFT + 4 * 130;
	for (size_t i = 0; i < n; i++)
		if (column_total(series, nseries, i) > max)
			max = column_total(series, nseries, i);
	top = nice_max(max);
	open_svg(b, id, title, w, h);
	html_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>"
		       "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>"
		       "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>",
		    LEFT, base, w - BAR_GAP, base, LEFT - 4, TOP + 4, (long long)top, LEFT - 4, base);
	for (size_t i = 0; i < n; i++) {
		int x = LEFT + BAR_GAP + (int)i * (BAR_W + BAR_GAP), y = base;

		for (size_t s = 0; s < nseries; s++) {
			int64_t v = series[s].values[i];
			int hh = v > 0 ? (int)(v * PLOT_H / top) : 0;
			if (hh <= 0)
				continue;
			y -= hh;
			html_printf(b, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
				       "fill=\"%s\"><title>%s %s: %lld</title></rect>",
				    x, y, BAR_W, hh, palette[s % NPALETTE], labels[i], series[s].name,
				    (long long)v);
		}
		html_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%lld</text>"
			       "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>",
			    x + BAR_W / 2, y - 3, (long long)column_total(series, nseries, i),
			    x + BAR_W / 2, base + 14, labels[i]);
	}
	legend(b, series, nseries, base + 24);
	buf_adds(b, "</svg>");
}

#define LABEL_W 200
#define RANGE_W 360
#define ROW_H 26

void svg_ranges(struct buf *b, const char *id, const char *title, const struct svg_range *rows,
		size_t n, const char *legend_median, const char *legend_p90)
{
	int64_t max = 0;
	int w = LABEL_W + RANGE_W + 120, h = TOP + (int)n * ROW_H + LEGEND_ROW + 12;

	for (size_t i = 0; i < n; i++)
		if (rows[i].p90 > max)
			max = rows[i].p90;
	if (max <= 0)
		max = 1;
	open_svg(b, id, title, w, h);
	for (size_t i = 0; i < n; i++) {
		int y = TOP + (int)i * ROW_H;

		html_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", LABEL_W - 6,
			    y + 14, rows[i].label);
		if (rows[i].p90 < 0) {
			html_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"#666\">–</text>", LABEL_W, y + 14);
			continue;
		}
		{
			int pw = (int)(rows[i].p90 * RANGE_W / max), mx = LABEL_W + (int)(rows[i].median * RANGE_W / max);
			html_printf(b, "<rect class=\"range\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" "
				       "fill=\"#9ecae1\"><title>%s %s: %s</title></rect>"
				       "<rect class=\"median\" x=\"%d\" y=\"%d\" width=\"3\" height=\"20\" "
				       "fill=\"#08519c\"><title>%s %s: %s</title></rect>"
				       "<text x=\"%d\" y=\"%d\">%s / %s</text>",
				    LABEL_W, y + 3, pw > 1 ? pw : 1, rows[i].label, legend_p90,
				    rows[i].p90_text, mx - 1, y, rows[i].label, legend_median,
				    rows[i].median_text, LABEL_W + (pw > 1 ? pw : 1) + 6, y + 14,
				    rows[i].median_text, rows[i].p90_text);
		}
	}
	{
		int y = TOP + (int)n * ROW_H + 4;
		html_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"3\" height=\"10\" fill=\"#08519c\"/>"
			       "<text x=\"%d\" y=\"%d\">%s</text>"
			       "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"#9ecae1\"/>"
			       "<text x=\"%d\" y=\"%d\">%s</text>",
			    LABEL_W, y, LABEL_W + 8, y + 9, legend_median, LABEL_W + 120, y,
			    LABEL_W + 138, y + 9, legend_p90);
	}
	buf_adds(b, "</svg>");
}
