/* pd-imap-message: what the IMAP fetcher reads of a fetched message itself.
 *
 * A mailbox has no SMTP envelope: the reverse-path is what the delivering
 * server wrote in Return-Path (RFC 5321 4.4), the first one in the header.
 * Pure parsing of peer bytes, no I/O (tests/fuzz/fuzz-imap.c feeds it).
 */
#ifndef PD_IMAP_MESSAGE_H
#define PD_IMAP_MESSAGE_H

#include <glib.h>

/* Longest reverse-path taken (RFC 5321 4.5.3.1.3: 256 octets). */
#define PD_IMAP_MAX_PATH 256

/* The address of the first Return-Path field of the header ("" for
 * <>), or NULL when there is none or it is not one plain address. */
char *pd_imap_return_path(const guint8 *data, gsize len);

#endif
