/*
 * write_html.h - the HTML writers (write_html.c), private.
 */
#ifndef ND_WRITE_HTML_H
#define ND_WRITE_HTML_H

#include "neardup.h"
#include "write.h"

/* The scan report as one self-contained HTML page (see write_html.c). */
nd_status nd_write_html(const nd_report *r, const nd_write_options *wo, nd_sink *s);

/* The comparison of two documents as one self-contained HTML page. */
nd_status nd_write_compare_html(const nd_compare *c, const nd_write_options *wo, nd_sink *s);

#endif /* ND_WRITE_HTML_H */
