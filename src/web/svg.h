/*
 * svg.h: small charts drawn on the server as inline SVG, readable without
 * JavaScript and within the strict CSP: no script, no style attributes or
 * elements (colours are presentation attributes), every text escaped. Each
 * chart has a <title> and each mark a <title> with its number, so screen
 * readers and hovering show the values; pages print the same numbers in a
 * table beside it.
 */
#ifndef IRDESK_WEB_SVG_H
#define IRDESK_WEB_SVG_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* One series of a stacked bar chart: values[i] belongs to category i. */
struct svg_series {
	const char *name;
	const int64_t *values;
};

/*
 * Vertical stacked bars, one per category (labels[0..n), e.g. months), one
 * segment per series, with a legend. id names the chart element; title is
 * its accessible name. All strings are escaped here.
 */
void svg_stacked_bars(struct buf *b, const char *id, const char *title,
		      const char *const *labels, size_t n, const struct svg_series *series,
		      size_t nseries);

/* One row of a range chart: a bar to p90 with a mark at the median. */
struct svg_range {
	const char *label;
	int64_t median, p90; /* -1: no data */
	const char *median_text, *p90_text; /* how the numbers read ("3h 20m") */
};

/*
 * Horizontal bars, one per row, from 0 to the 90th percentile, with the
 * median marked, on one scale. legend_median and legend_p90 name the marks.
 */
void svg_ranges(struct buf *b, const char *id, const char *title, const struct svg_range *rows,
		size_t n, const char *legend_median, const char *legend_p90);

#endif
