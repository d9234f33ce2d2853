/* pd-resolver: the resolver vtable and the static zone used by tests.
 *
 * The zone is a hash table from "name/type" to its records, filled before
 * it is shared and read-only afterwards (the lookup counter is atomic), so
 * any number of checks may use it at once.  It never touches the network.
 */
#include "pd-resolver.h"

#include <string.h>

#include "core/pd-error.h"

void
pd_resolver_init(PdResolver *resolver, const PdResolverOps *ops)
{
	resolver->ops = ops;
	resolver->ref_count = 1;
}

PdResolver *
pd_resolver_ref(PdResolver *resolver)
{
	g_return_val_if_fail(resolver != NULL, NULL);
	g_atomic_int_inc(&resolver->ref_count);
	return resolver;
}

void
pd_resolver_unref(PdResolver *resolver)
{
	if (resolver == NULL)
		return;
	if (g_atomic_int_dec_and_test(&resolver->ref_count))
		resolver->ops->destroy(resolver);
}

PdDnsStatus
pd_resolver_lookup(PdResolver *resolver, const char *name, PdDnsType type, guint timeout_ms,
		   GPtrArray **answers_r)
{
	g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func(g_free);
	PdDnsStatus status;

	if (answers_r != NULL)
		*answers_r = NULL;
	if (name == NULL || *name == '\0' || strlen(name) > 255)
		return PD_DNS_NXDOMAIN;
	status = resolver->ops->lookup(resolver, name, type, timeout_ms, answers);
	if (status == PD_DNS_OK && answers->len == 0)
		status = PD_DNS_NODATA;
	if (status == PD_DNS_OK && answers_r != NULL)
		*answers_r = g_steal_pointer(&answers);
	return status;
}

const char *
pd_dns_status_name(PdDnsStatus status)
{
	switch (status) {
	case PD_DNS_OK: return "ok";
	case PD_DNS_NXDOMAIN: return "nxdomain";
	case PD_DNS_NODATA: return "nodata";
	case PD_DNS_TEMPFAIL: return "tempfail";
	}
	return "?";
}

static const struct {
	const char *name;
	PdDnsType type;
} dns_types[] = {
	{ "A", PD_DNS_A }, { "CNAME", PD_DNS_CNAME }, { "PTR", PD_DNS_PTR },
	{ "MX", PD_DNS_MX }, { "TXT", PD_DNS_TXT }, { "AAAA", PD_DNS_AAAA },
	{ "SPF", PD_DNS_SPF },
};

const char *
pd_dns_type_name(PdDnsType type)
{
	for (gsize i = 0; i < G_N_ELEMENTS(dns_types); i++)
		if (dns_types[i].type == type)
			return dns_types[i].name;
	return "?";
}

gboolean
pd_dns_type_parse(const char *name, PdDnsType *type_r)
{
	for (gsize i = 0; i < G_N_ELEMENTS(dns_types); i++) {
		if (g_ascii_strcasecmp(dns_types[i].name, name) == 0) {
			*type_r = dns_types[i].type;
			return TRUE;
		}
	}
	return FALSE;
}

/* ---- the static zone ---- */

typedef enum {
	ZONE_NAME_RECORDS,	/* exists, with whatever records it has */
	ZONE_NAME_TIMEOUT,
	ZONE_NAME_NXDOMAIN,
} ZoneNameState;

typedef struct {
	PdResolver parent;
	GHashTable *names;	/* canonical name -> GINT (ZoneNameState) */
	GHashTable *records;	/* "name/TYPE" -> GPtrArray of char * */
	gint lookups;
} PdZoneResolver;

static char *
zone_canonical(const char *name)
{
	char *lower = g_ascii_strdown(name, -1);
	gsize len = strlen(lower);

	if (len > 1 && lower[len - 1] == '.')
		lower[len - 1] = '\0';
	return lower;
}

static char *
zone_key(const char *canonical, PdDnsType type)
{
	return g_strdup_printf("%s/%d", canonical, (int) type);
}

static void
zone_mark(PdZoneResolver *zone, const char *canonical, ZoneNameState state)
{
	gpointer old;

	if (state == ZONE_NAME_RECORDS &&
	    g_hash_table_lookup_extended(zone->names, canonical, NULL, &old))
		return;		/* keep an explicit TIMEOUT/NXDOMAIN */
	g_hash_table_insert(zone->names, g_strdup(canonical), GINT_TO_POINTER(state));
}

void
pd_resolver_zone_add(PdResolver *resolver, const char *name, PdDnsType type, const char *value)
{
	PdZoneResolver *zone = (PdZoneResolver *) resolver;
	g_autofree char *canonical = zone_canonical(name);
	g_autofree char *key = zone_key(canonical, type);
	GPtrArray *list = g_hash_table_lookup(zone->records, key);

	if (list == NULL) {
		list = g_ptr_array_new_with_free_func(g_free);
		g_hash_table_insert(zone->records, g_steal_pointer(&key), list);
	}
	g_ptr_array_add(list, g_strdup(value));
	zone_mark(zone, canonical, ZONE_NAME_RECORDS);
}

void
pd_resolver_zone_set_timeout(PdResolver *resolver, const char *name)
{
	g_autofree char *canonical = zone_canonical(name);

	zone_mark((PdZoneResolver *) resolver, canonical, ZONE_NAME_TIMEOUT);
}

void
pd_resolver_zone_set_nxdomain(PdResolver *resolver, const char *name)
{
	g_autofree char *canonical = zone_canonical(name);

	zone_mark((PdZoneResolver *) resolver, canonical, ZONE_NAME_NXDOMAIN);
}

/* The name the zone answers for: itself, or the closest "*." wildcard. */
static char *
zone_find_name(PdZoneResolver *zone, const char *canonical)
{
	const char *dot;

	if (g_hash_table_contains(zone->names, canonical))
		return g_strdup(canonical);
	for (dot = strchr(canonical, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
		g_autofree char *wild = g_strconcat("*", dot, NULL);

		if (g_hash_table_contains(zone->names, wild))
			return g_steal_pointer(&wild);
	}
	return NULL;
}

static PdDnsStatus
zone_lookup(PdResolver *resolver, const char *name, PdDnsType type, guint timeout_ms,
	    GPtrArray *answers)
{
	PdZoneResolver *zone = (PdZoneResolver *) resolver;
	g_autofree char *current = zone_canonical(name);

	g_atomic_int_inc(&zone->lookups);
	for (int hops = 0; hops < 8; hops++) {
		g_autofree char *owner = zone_find_name(zone, current);
		g_autofree char *key = NULL;
		GPtrArray *list;
		ZoneNameState state;

		if (owner == NULL)
			return PD_DNS_NXDOMAIN;
		state = GPOINTER_TO_INT(g_hash_table_lookup(zone->names, owner));
		if (state == ZONE_NAME_NXDOMAIN)
			return PD_DNS_NXDOMAIN;
		key = zone_key(owner, type);
		list = g_hash_table_lookup(zone->records, key);
		if (list != NULL) {
			for (guint i = 0; i < list->len; i++)
				g_ptr_array_add(answers, g_strdup(g_ptr_array_index(list, i)));
			return PD_DNS_OK;
		}
		g_free(key);
		key = zone_key(owner, PD_DNS_CNAME);
		list = g_hash_table_lookup(zone->records, key);
		if (state == ZONE_NAME_TIMEOUT && list == NULL)
			return PD_DNS_TEMPFAIL;
		if (list == NULL || type == PD_DNS_CNAME)
			return PD_DNS_NODATA;
		g_free(current);
		current = zone_canonical(g_ptr_array_index(list, 0));
	}
	return PD_DNS_TEMPFAIL;		/* CNAME loop: a broken zone, not an answer */
}

static void
zone_destroy(PdResolver *resolver)
{
	PdZoneResolver *zone = (PdZoneResolver *) resolver;

	g_hash_table_destroy(zone->names);
	g_hash_table_destroy(zone->records);
	g_free(zone);
}

static const PdResolverOps zone_ops = {
	.lookup = zone_lookup,
	.destroy = zone_destroy,
};

PdResolver *
pd_resolver_zone_new(void)
{
	PdZoneResolver *zone = g_new0(PdZoneResolver, 1);

	pd_resolver_init(&zone->parent, &zone_ops);
	zone->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	zone->records = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      (GDestroyNotify) g_ptr_array_unref);
	return &zone->parent;
}

guint
pd_resolver_zone_lookups(PdResolver *resolver)
{
	return (guint) g_atomic_int_get(&((PdZoneResolver *) resolver)->lookups);
}

static int
hex_value(char c)
{
	return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

/* C-style unescaping of a zone value; FALSE on a bad escape. */
static gboolean
zone_unescape(const char *in, GString *out)
{
	for (const char *p = in; *p != '\0'; p++) {
		if (*p != '\\') {
			g_string_append_c(out, *p);
			continue;
		}
		p++;
		switch (*p) {
		case '\\': g_string_append_c(out, '\\'); break;
		case 't': g_string_append_c(out, '\t'); break;
		case 'n': g_string_append_c(out, '\n'); break;
		case 'r': g_string_append_c(out, '\r'); break;
		case 'x': {
			int hi = hex_value(p[1]), lo = hi < 0 ? -1 : hex_value(p[2]);

			if (hi < 0 || lo < 0)
				return FALSE;
			g_string_append_c(out, (char) (hi * 16 + lo));
			p += 2;
			break;
		}
		default:
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
pd_resolver_zone_load_data(PdResolver *zone, const char *text, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (guint n = 0; lines[n] != NULL; n++) {
		char *line = g_strchomp(lines[n]);
		const char *p = line;
		g_autofree char *raw_name = NULL;
		g_autoptr(GString) name_buf = g_string_new(NULL);
		const char *name;
		g_autofree char *type_name = NULL;
		g_autoptr(GString) value = g_string_new(NULL);
		PdDnsType type;
		gsize len;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		len = strcspn(p, " \t");
		raw_name = g_strndup(p, len);
		p += len;
		while (*p == ' ' || *p == '\t')
			p++;
		len = strcspn(p, " \t");
		type_name = g_strndup(p, len);
		p += len;
		if (*p != '\0')
			p++;	/* exactly one separator: the value may start with spaces */
		if (!zone_unescape(raw_name, name_buf)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "zone line %u: bad escape in the name", n + 1);
			return FALSE;
		}
		name = name_buf->str;
		if (g_ascii_strcasecmp(type_name, "TIMEOUT") == 0 ||
		    g_ascii_strcasecmp(type_name, "SERVFAIL") == 0) {
			pd_resolver_zone_set_timeout(zone, name);
			continue;
		}
		if (g_ascii_strcasecmp(type_name, "NODATA") == 0) {
			g_autofree char *canonical = zone_canonical(name);

			zone_mark((PdZoneResolver *) zone, canonical, ZONE_NAME_RECORDS);
			continue;
		}
		if (g_ascii_strcasecmp(type_name, "NXDOMAIN") == 0) {
			pd_resolver_zone_set_nxdomain(zone, name);
			continue;
		}
		if (!pd_dns_type_parse(type_name, &type) || !zone_unescape(p, value)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "zone line %u: cannot parse \"%s\"", n + 1, line);
			return FALSE;
		}
		pd_resolver_zone_add(zone, name, type, value->str);
	}
	return TRUE;
}

gboolean
pd_resolver_zone_load_file(PdResolver *zone, const char *path, GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) local = NULL;

	if (!g_file_get_contents(path, &text, NULL, &local)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s", local->message);
		return FALSE;
	}
	return pd_resolver_zone_load_data(zone, text, error);
}
