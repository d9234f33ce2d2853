/* test-imap-client: the IMAP session (lib/imap/pd-imap-client.c) against
 * scripted server bytes: libetpan parses, our layer decides what a reply
 * means.  Each row is a whole server side of the fetcher's session
 * (imap-script.h) and what must come of it; none may hang or crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "core/pd-error.h"
#include "imap-script.h"

#define GREET "* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n"
#define CAPS(t) "* CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS\r\n" t " OK done\r\n"
#define LOGIN GREET CAPS("1") "2 OK logged in\r\n" CAPS("3")
#define SELECT "* 2 EXISTS\r\n* OK [UIDVALIDITY 42] v\r\n* OK [UIDNEXT 9] n\r\n" \
	"4 OK [READ-WRITE] selected\r\n"
#define SEARCH "* SEARCH 8 7\r\n5 OK done\r\n"
#define SIZE "* 1 FETCH (UID 7 RFC822.SIZE 12)\r\n6 OK done\r\n"
#define BODY "* 1 FETCH (UID 7 BODY[] {12}\r\nSubject: x\r\n)\r\n7 OK done\r\n"
#define MOVE "8 OK moved\r\n"
#define BIG "Subject: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n" \
	"Subject: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"

enum { NONE = -1 };

static const struct {
	const char *why;
	const char *server;
	gsize max;
	/* how far it gets */
	gboolean logged_in, selected, fetched, applied;
	int code;		/* of the error, NONE: no error */
	const char *error;	/* substring of it */
} cases[] = {
	{ "the whole session", LOGIN SELECT SEARCH SIZE BODY MOVE "* BYE\r\n9 OK bye\r\n", 100,
	  TRUE, TRUE, TRUE, TRUE, NONE, NULL },
	{ "login refused: a clear error naming the user", GREET CAPS("1")
	  "2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n", 100,
	  FALSE, FALSE, FALSE, FALSE, PD_ERROR_USAGE,
	  "login as support refused: Authentication failed." },
	{ "LOGINDISABLED: refused before sending the password", GREET
	  "* CAPABILITY IMAP4rev1 LOGINDISABLED\r\n1 OK done\r\n", 100,
	  FALSE, FALSE, FALSE, FALSE, PD_ERROR_USAGE, "LOGINDISABLED" },
	{ "OK to CAPABILITY without the list (crashed libetpan 1.9.4; fuzz-imap)",
	  "* OK ready\r\n1 OK done\r\n2 OK logged in\r\n3 OK done\r\n" SELECT
	  "5 OK done\r\n", 100, TRUE, TRUE, FALSE, FALSE, NONE, NULL },
	{ "an empty CAPABILITY (a nameless one crashed mailimap_has_extension; fuzz-imap)",
	  GREET CAPS("1") "2 OK logged in\r\n* CAPABILITY \r\n3 OK done\r\n" SELECT
	  "5 OK done\r\n", 100, TRUE, TRUE, FALSE, FALSE, NONE, NULL },
	{ "no greeting at all: end of stream, no hang", "", 100,
	  FALSE, FALSE, FALSE, FALSE, PD_ERROR_TEMPFAIL, "connection closed by the server" },
	{ "a greeting that is not IMAP", "SSH-2.0-OpenSSH_9.2\r\n", 100,
	  FALSE, FALSE, FALSE, FALSE, PD_ERROR_TEMPFAIL, "greeting" },
	{ "BYE as greeting", "* BYE too many connections\r\n", 100,
	  FALSE, FALSE, FALSE, FALSE, PD_ERROR_TEMPFAIL, NULL },
	{ "SELECT refused", LOGIN "4 NO Mailbox doesn't exist: INBOX\r\n", 100,
	  TRUE, FALSE, FALSE, FALSE, PD_ERROR_TEMPFAIL, "SELECT INBOX refused: Mailbox doesn't" },
	{ "SELECT without UIDVALIDITY: UIDs are not trusted", LOGIN
	  "* 2 EXISTS\r\n4 OK selected\r\n", 100,
	  TRUE, FALSE, FALSE, FALSE, PD_ERROR_TEMPFAIL, "no UIDVALIDITY" },
	{ "the server stops answering mid-FETCH (end of stream inside the literal)",
	  LOGIN SELECT SEARCH SIZE "* 1 FETCH (UID 7 BODY[] {12}\r\nSubj", 100,
	  TRUE, TRUE, FALSE, FALSE, PD_ERROR_TEMPFAIL, "connection closed by the server" },
	{ "a literal larger than the limit: refused for good, not read whole",
	  LOGIN SELECT SEARCH "* 1 FETCH (UID 7 RFC822.SIZE 12)\r\n6 OK done\r\n"
	  "* 1 FETCH (UID 7 BODY[] {4000000000}\r\n" BIG, 100,
	  TRUE, TRUE, FALSE, FALSE, PD_ERROR_PERMFAIL, "more than 100 bytes" },
	{ "a body within the literal limit but over max", LOGIN SELECT SEARCH SIZE BODY, 5,
	  TRUE, TRUE, FALSE, FALSE, PD_ERROR_PERMFAIL, "more than 5 bytes" },
	{ "the message is gone before FETCH: nothing fetched, no error",
	  LOGIN SELECT SEARCH "6 OK done\r\n7 OK done\r\n", 100,
	  TRUE, TRUE, FALSE, FALSE, NONE, NULL },
	{ "FETCH answers for another UID only: not taken for ours",
	  LOGIN SELECT SEARCH "* 1 FETCH (UID 99 RFC822.SIZE 12)\r\n6 OK done\r\n"
	  "* 1 FETCH (UID 99 BODY[] {12}\r\nSubject: x\r\n)\r\n7 OK done\r\n", 100,
	  TRUE, TRUE, FALSE, FALSE, NONE, NULL },
	{ "malformed FETCH: a protocol error, the session broken",
	  LOGIN SELECT SEARCH "* 1 FETCH (UID 7 RFC822.SIZE twelve)\r\n6 OK done\r\n", 100,
	  TRUE, TRUE, FALSE, FALSE, PD_ERROR_TEMPFAIL, "UID FETCH RFC822.SIZE" },
	{ "MOVE refused: the mail stays, a temporary error",
	  LOGIN SELECT SEARCH SIZE BODY "8 NO [SERVERBUG] internal error\r\n", 100,
	  TRUE, TRUE, TRUE, FALSE, PD_ERROR_TEMPFAIL, "UID MOVE refused: internal error" },
	{ "MOVE to a missing folder: CREATE, MOVE again",
	  LOGIN SELECT SEARCH SIZE BODY "8 NO [TRYCREATE] Mailbox doesn't exist\r\n"
	  "9 OK created\r\n10 OK moved\r\n", 100,
	  TRUE, TRUE, TRUE, TRUE, NONE, NULL },
	{ "untagged updates between the answers are fine",
	  LOGIN SELECT "* 3 EXISTS\r\n* 1 RECENT\r\n" SEARCH "* 2 FETCH (FLAGS (\\Seen))\r\n"
	  SIZE BODY "* 1 EXPUNGE\r\n" MOVE, 100,
	  TRUE, TRUE, TRUE, TRUE, NONE, NULL },
	{ "an endless line: cut off by the command's byte budget, no hang",
	  NULL, 100, TRUE, FALSE, FALSE, FALSE, PD_ERROR_TEMPFAIL, "more than this command" },
};

static void
test_table(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		ImapScriptResult r;
		g_autoptr(GString) server = g_string_new(cases[i].server);
		gboolean ok;

		if (cases[i].server == NULL) {	/* the endless line */
			g_string_assign(server, LOGIN "* OK ");
			while (server->len < 2 * PD_IMAP_COMMAND_SLACK)
				g_string_append(server, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
		}
		imap_script_run((const guint8 *)server->str, server->len, cases[i].max, &r);
		ok = r.logged_in == cases[i].logged_in && r.selected == cases[i].selected &&
		     r.fetched == cases[i].fetched && r.applied == cases[i].applied &&
		     (cases[i].code == NONE ? r.error == NULL
					    : r.error != NULL && r.error->code == cases[i].code &&
					      (cases[i].error == NULL ||
					       strstr(r.error->message, cases[i].error) != NULL));
		if (ok && i == 0)
			ok = r.folder.uidvalidity == 42 && r.folder.uidnext == 9 &&
			     r.n_uids == 2 && r.first_uid == 7 && r.size == 12 &&
			     strcmp(r.raw, "Subject: x\r\n") == 0 && r.caps.move && r.caps.uidplus;
		if (!ok) {
			printf("case %zu (%s): logged_in %d selected %d fetched %d applied %d, "
			       "error %s\n", i, cases[i].why, r.logged_in, r.selected, r.fetched,
			       r.applied, r.error != NULL ? r.error->message : "none");
			bad++;
		}
		imap_script_result_clear(&r);
	}
	assert_int_equal(bad, 0);
	printf("rule imap-session: %zu cases\n", G_N_ELEMENTS(cases));
}

/* IDLE as libetpan issue 393 has it: an untagged update before the
 * continuation.  mailimap_idle() blocks there; ours takes the update as
 * news, sends DONE and reads its answer. */
static void
test_idle_393(void **state)
{
	static const char server[] = LOGIN SELECT SEARCH SIZE BODY MOVE
		"* 3 EXISTS\r\n+ idling\r\npdidle OK idle done\r\n";
	static const char plain[] = LOGIN SELECT SEARCH SIZE BODY MOVE
		"+ idling\r\n* 1 RECENT\r\npdidle OK idle done\r\n";
	static const char refused[] = LOGIN SELECT SEARCH SIZE BODY MOVE
		"pdidle BAD no IDLE here\r\n";
	static const char bye[] = LOGIN SELECT SEARCH SIZE BODY MOVE
		"+ idling\r\n* BYE shutting down\r\n";
	ImapScriptResult r;

	(void)state;
	imap_script_run((const guint8 *)server, strlen(server), 100, &r);
	assert_true(r.applied);
	assert_true(r.idled);
	assert_true(r.news);
	imap_script_result_clear(&r);
	imap_script_run((const guint8 *)plain, strlen(plain), 100, &r);
	assert_true(r.idled);
	assert_false(r.news);
	imap_script_result_clear(&r);
	imap_script_run((const guint8 *)refused, strlen(refused), 100, &r);
	assert_false(r.idled);
	assert_non_null(strstr(r.idle_error->message, "IDLE refused: pdidle BAD no IDLE here"));
	imap_script_result_clear(&r);
	imap_script_run((const guint8 *)bye, strlen(bye), 100, &r);
	assert_false(r.idled);
	assert_non_null(strstr(r.idle_error->message, "goodbye in IDLE"));
	imap_script_result_clear(&r);
}

/* XOAUTH2: the token file is read at login, its mode checked; a server
 * without AUTH=XOAUTH2 or that refuses the token is a clear error. */
static void
test_xoauth2(void **state)
{
	static const char ok[] = "* OK ready\r\n* CAPABILITY IMAP4rev1 AUTH=XOAUTH2\r\n"
		"1 OK done\r\n2 OK authenticated\r\n" CAPS("3");
	static const char refused[] = "* OK ready\r\n* CAPABILITY IMAP4rev1 AUTH=XOAUTH2\r\n"
		"1 OK done\r\n2 NO [AUTHENTICATIONFAILED] invalid token\r\n";
	static const char without[] = "* OK ready\r\n* CAPABILITY IMAP4rev1\r\n1 OK done\r\n";
	g_autofree char *dir = g_dir_make_tmp("pd-imap-token-XXXXXX", NULL);
	g_autofree char *token = g_build_filename(dir, "token", NULL);
	PdImapConfig ic = {
		.name = (char *)"t", .host = (char *)"memory", .tls = PD_IMAP_TLS_NONE,
		.user = (char *)"support@example.com", .oauth2_token_file = token,
		.folder = (char *)"INBOX", .timeout = 1, .max_message_size = 100,
	};
	PdImapClient *c;
	GError *error = NULL;

	(void)state;
	assert_true(g_file_set_contents(token, "ya29.token\n", -1, NULL));
	assert_int_equal(chmod(token, 0600), 0);
	c = pd_imap_client_connect_memory(&ic, (const guint8 *)ok, strlen(ok), &error);
	assert_non_null(c);
	assert_true(pd_imap_client_caps(c).move);
	pd_imap_client_free(c);
	c = pd_imap_client_connect_memory(&ic, (const guint8 *)refused, strlen(refused), &error);
	assert_null(c);
	assert_int_equal(error->code, PD_ERROR_USAGE);
	assert_non_null(strstr(error->message, "login as support@example.com refused: invalid "
			       "token (check user and oauth2_token_file)"));
	g_clear_error(&error);
	c = pd_imap_client_connect_memory(&ic, (const guint8 *)without, strlen(without), &error);
	assert_null(c);
	assert_non_null(strstr(error->message, "does not offer AUTH=XOAUTH2"));
	g_clear_error(&error);
	assert_int_equal(chmod(token, 0644), 0);
	c = pd_imap_client_connect_memory(&ic, (const guint8 *)ok, strlen(ok), &error);
	assert_null(c);
	assert_non_null(strstr(error->message, "only its owner may read"));
	g_clear_error(&error);
	g_unlink(token);
	g_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_idle_393),
		cmocka_unit_test(test_xoauth2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
