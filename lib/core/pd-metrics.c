/* pd-metrics: see pd-metrics.h. */
#include "core/pd-metrics.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

typedef struct {
	char *labels;		/* rendered: a="x",b="y" (may be "") */
	double value;		/* counter/gauge value; histogram sum */
	guint64 count;		/* histogram */
	guint64 *bucket_counts;	/* histogram, non-cumulative, n_buckets */
} PdSeries;

typedef struct {
	char *name;
	char *help;
	PdMetricType type;
	double *buckets;
	guint n_buckets;
	GHashTable *series;	/* labels -> PdSeries */
} PdFamily;

struct _PdMetrics {
	GMutex lock;
	GHashTable *families;	/* name -> PdFamily */
};

static void
series_free(gpointer p)
{
	PdSeries *s = p;

	g_free(s->labels);
	g_free(s->bucket_counts);
	g_free(s);
}

static void
family_free(gpointer p)
{
	PdFamily *f = p;

	g_free(f->name);
	g_free(f->help);
	g_free(f->buckets);
	g_hash_table_destroy(f->series);
	g_free(f);
}

PdMetrics *
pd_metrics_new(void)
{
	PdMetrics *m = g_new0(PdMetrics, 1);

	g_mutex_init(&m->lock);
	m->families = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, family_free);
	return m;
}

void
pd_metrics_free(PdMetrics *metrics)
{
	if (metrics == NULL)
		return;
	g_hash_table_destroy(metrics->families);
	g_mutex_clear(&metrics->lock);
	g_free(metrics);
}

PdMetrics *
pd_metrics_default(void)
{
	static gsize once;
	static PdMetrics *metrics;

	if (g_once_init_enter(&once)) {
		metrics = pd_metrics_new();
		g_once_init_leave(&once, 1);
	}
	return metrics;
}

void
pd_metrics_declare(PdMetrics *metrics, const char *name, PdMetricType type,
		   const char *help, const double *buckets, guint n_buckets)
{
	PdFamily *f;

	g_mutex_lock(&metrics->lock);
	f = g_hash_table_lookup(metrics->families, name);
	if (f != NULL) {
		g_mutex_unlock(&metrics->lock);
		g_return_if_fail(f->type == type);
		return;
	}
	f = g_new0(PdFamily, 1);
	f->name = g_strdup(name);
	f->help = g_strdup(help);
	f->type = type;
	if (type == PD_METRIC_HISTOGRAM && n_buckets > 0) {
		f->buckets = g_memdup2(buckets, n_buckets * sizeof(double));
		f->n_buckets = n_buckets;
	}
	f->series = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, series_free);
	g_hash_table_insert(metrics->families, f->name, f);
	g_mutex_unlock(&metrics->lock);
}

static void
append_escaped(GString *out, const char *value)
{
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\\')
			g_string_append(out, "\\\\");
		else if (*p == '"')
			g_string_append(out, "\\\"");
		else if (*p == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_c(out, *p);
	}
}

static char *
labels_from_va(va_list ap)
{
	GString *out = g_string_new(NULL);
	const char *key;

	while ((key = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);

		if (out->len > 0)
			g_string_append_c(out, ',');
		g_string_append_printf(out, "%s=\"", key);
		append_escaped(out, value != NULL ? value : "");
		g_string_append_c(out, '"');
	}
	return g_string_free(out, FALSE);
}

/* With the lock held. */
static PdSeries *
series_get(PdMetrics *metrics, const char *name, char *labels_owned)
{
	PdFamily *f = g_hash_table_lookup(metrics->families, name);
	PdSeries *s;

	if (f == NULL) {
		g_free(labels_owned);
		g_critical("pd-metrics: family %s not declared", name);
		return NULL;
	}
	s = g_hash_table_lookup(f->series, labels_owned);
	if (s != NULL) {
		g_free(labels_owned);
		return s;
	}
	s = g_new0(PdSeries, 1);
	s->labels = labels_owned;
	if (f->type == PD_METRIC_HISTOGRAM)
		s->bucket_counts = g_new0(guint64, f->n_buckets + 1);
	g_hash_table_insert(f->series, s->labels, s);
	return s;
}

typedef enum { UPDATE_ADD, UPDATE_SET, UPDATE_OBSERVE } UpdateMode;

static void
update(PdMetrics *metrics, const char *name, double value, UpdateMode mode, va_list ap)
{
	char *labels = labels_from_va(ap);
	PdFamily *f;
	PdSeries *s;
	guint i;

	g_mutex_lock(&metrics->lock);
	f = g_hash_table_lookup(metrics->families, name);
	s = series_get(metrics, name, labels);
	if (s == NULL)
		;
	else if (mode == UPDATE_ADD)
		s->value += value;
	else if (mode == UPDATE_SET)
		s->value = value;
	else if (f->type == PD_METRIC_HISTOGRAM) {
		for (i = 0; i < f->n_buckets && value > f->buckets[i]; i++)
			;
		s->bucket_counts[i]++;
		s->count++;
		s->value += value;
	}
	g_mutex_unlock(&metrics->lock);
}

void
pd_metrics_add(PdMetrics *metrics, const char *name, double value, ...)
{
	va_list ap;

	va_start(ap, value);
	update(metrics, name, value, UPDATE_ADD, ap);
	va_end(ap);
}

void
pd_metrics_set(PdMetrics *metrics, const char *name, double value, ...)
{
	va_list ap;

	va_start(ap, value);
	update(metrics, name, value, UPDATE_SET, ap);
	va_end(ap);
}

void
pd_metrics_observe(PdMetrics *metrics, const char *name, double value, ...)
{
	va_list ap;

	va_start(ap, value);
	update(metrics, name, value, UPDATE_OBSERVE, ap);
	va_end(ap);
}

double
pd_metrics_value(PdMetrics *metrics, const char *name, ...)
{
	va_list ap;
	g_autofree char *labels = NULL;
	PdFamily *f;
	PdSeries *s = NULL;
	double value = 0;

	va_start(ap, name);
	labels = labels_from_va(ap);
	va_end(ap);
	g_mutex_lock(&metrics->lock);
	f = g_hash_table_lookup(metrics->families, name);
	if (f != NULL)
		s = g_hash_table_lookup(f->series, labels);
	if (s != NULL)
		value = f->type == PD_METRIC_HISTOGRAM ? (double)s->count : s->value;
	g_mutex_unlock(&metrics->lock);
	return value;
}

static void
append_number(GString *out, double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	if (isinf(v))
		g_string_append(out, v > 0 ? "+Inf" : "-Inf");
	else if (isnan(v))
		g_string_append(out, "NaN");
	else {
		/* the shortest of 15 or 17 digits that reads back as v */
		g_ascii_formatd(buf, sizeof buf, "%.15g", v);
		if (g_ascii_strtod(buf, NULL) != v)
			g_ascii_formatd(buf, sizeof buf, "%.17g", v);
		g_string_append(out, buf);
	}
}

static void
append_sample(GString *out, const char *name, const char *suffix,
	      const char *labels, const char *extra, double v)
{
	g_string_append_printf(out, "%s%s", name, suffix);
	if (labels[0] != '\0' || extra != NULL) {
		g_string_append_c(out, '{');
		g_string_append(out, labels);
		if (extra != NULL) {
			if (labels[0] != '\0')
				g_string_append_c(out, ',');
			g_string_append(out, extra);
		}
		g_string_append_c(out, '}');
	}
	g_string_append_c(out, ' ');
	append_number(out, v);
	g_string_append_c(out, '\n');
}

static void
render_family(PdFamily *f, GString *out)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	g_autoptr(GList) keys = g_hash_table_get_keys(f->series);

	g_string_append_printf(out, "# HELP %s ", f->name);
	for (const char *p = f->help; *p != '\0'; p++) {
		if (*p == '\\')
			g_string_append(out, "\\\\");
		else if (*p == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_c(out, *p);
	}
	g_string_append_printf(out, "\n# TYPE %s %s\n", f->name, types[f->type]);
	keys = g_list_sort(keys, (GCompareFunc)strcmp);
	for (GList *l = keys; l != NULL; l = l->next) {
		PdSeries *s = g_hash_table_lookup(f->series, l->data);
		guint64 cumulative = 0;

		if (f->type != PD_METRIC_HISTOGRAM) {
			append_sample(out, f->name, "", s->labels, NULL, s->value);
			continue;
		}
		for (guint i = 0; i <= f->n_buckets; i++) {
			GString *le = g_string_new("le=\"");

			cumulative += s->bucket_counts[i];
			append_number(le, i < f->n_buckets ? f->buckets[i] : INFINITY);
			g_string_append_c(le, '"');
			append_sample(out, f->name, "_bucket", s->labels, le->str,
				      (double)cumulative);
			g_string_free(le, TRUE);
		}
		append_sample(out, f->name, "_sum", s->labels, NULL, s->value);
		append_sample(out, f->name, "_count", s->labels, NULL, (double)s->count);
	}
}

void
pd_metrics_render(PdMetrics *metrics, GString *out)
{
	g_autoptr(GList) names = NULL;

	g_mutex_lock(&metrics->lock);
	names = g_list_sort(g_hash_table_get_keys(metrics->families), (GCompareFunc)strcmp);
	for (GList *l = names; l != NULL; l = l->next)
		render_family(g_hash_table_lookup(metrics->families, l->data), out);
	g_mutex_unlock(&metrics->lock);
}
