/* pd-address: mail addresses as mail software must compare them.
 *
 * The canonical form used for lookups is "local@domain" with the domain in
 * lower case (and in its ASCII/punycode form for IDNs), the local part in
 * lower case, and the subaddress ("+tag") split off.  Parsing of header
 * addresses is GMime's job; this module only takes one bare address.
 */
#ifndef PD_ADDRESS_H
#define PD_ADDRESS_H

#include <glib.h>

typedef struct {
	char *local;		/* lower-cased local part without the subaddress */
	char *subaddress;	/* text after the delimiter, NULL if none */
	char *domain;		/* lower-cased ASCII domain, NULL for "postmaster" */
} PdAddress;

/* Split and canonicalize one address ("<a+b@Example.COM>" or "a@b").
 * Angle brackets and surrounding white space are accepted.  Returns FALSE on
 * something that is not an address (no local part, bad domain, control
 * characters).  delimiter: subaddress delimiters, e.g. "+"; NULL for none. */
gboolean pd_address_parse(const char *text, const char *delimiter,
			  PdAddress *address_r, GError **error);
void pd_address_clear(PdAddress *address);

/* "local@domain" without the subaddress; newly allocated. */
char *pd_address_canonical(const PdAddress *address);

/* Convenience: canonical form of text or NULL if it is not an address. */
char *pd_address_canonicalize(const char *text, const char *delimiter);

/* TRUE for addresses that must never get an automatic reply
 * (mailer-daemon, postmaster, noreply and the like). */
gboolean pd_address_is_robot(const char *canonical);

#endif
