/* pd-token-mint: mint a signed reply token for tests (tests/integration/
 * test_threading.py), so a test can reply exactly as a customer whose mail
 * client got our reply address or Message-ID would.
 *
 *   pd-token-mint reply KEY BASE TICKET_ID RECIPIENT
 *       -> support+t-TOKEN@example.com
 *   pd-token-mint msgid KEY HOST TICKET_ID RECIPIENT SERIAL
 *       -> pd.TOKEN@host
 *   pd-token-mint bounce KEY BASE OUTBOUND_ID RECIPIENT
 *       -> bounces+b-TOKEN@example.com (the MAIL FROM of that row)
 *   pd-token-mint page KEY EXPIRES TICKET_ID RECIPIENT
 *       -> TOKEN of the customer's page /t/TOKEN (EXPIRES: Unix time)
 * Exit 0 and the value on stdout, 2 on a usage error.
 */
#include "core/pd-error.h"
#include "ticket/pd-token.h"

#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdTokenKeys) keys = NULL;
	g_autofree char *out = NULL;
	const char *secrets[2] = { NULL, NULL };
	gint64 ticket;

	if (argc < 6 || (strcmp(argv[1], "reply") != 0 && strcmp(argv[1], "msgid") != 0 &&
			  strcmp(argv[1], "bounce") != 0 && strcmp(argv[1], "page") != 0) ||
	    (strcmp(argv[1], "msgid") == 0 && argc < 7)) {
		fprintf(stderr, "usage: pd-token-mint reply KEY BASE TICKET_ID RECIPIENT\n"
				"       pd-token-mint msgid KEY HOST TICKET_ID RECIPIENT SERIAL\n"
				"       pd-token-mint bounce KEY BASE OUTBOUND_ID RECIPIENT\n"
				"       pd-token-mint page KEY EXPIRES TICKET_ID RECIPIENT\n");
		return 2;
	}
	secrets[0] = argv[2];
	keys = pd_token_keys_new(secrets, &error);
	ticket = g_ascii_strtoll(argv[4], NULL, 10);
	if (keys != NULL && strcmp(argv[1], "reply") == 0)
		out = pd_token_reply_address(keys, argv[3], ticket, argv[5], &error);
	else if (keys != NULL && strcmp(argv[1], "page") == 0)
		out = pd_token_page(keys, ticket, argv[5], g_ascii_strtoll(argv[3], NULL, 10), &error);
	else if (keys != NULL && strcmp(argv[1], "bounce") == 0)
		out = pd_token_bounce_address(keys, argv[3], ticket, argv[5], &error);
	else if (keys != NULL)
		out = pd_token_message_id(keys, ticket, g_ascii_strtoll(argv[6], NULL, 10),
					  argv[5], argv[3], &error);
	if (out == NULL) {
		fprintf(stderr, "pd-token-mint: %s\n", error->message);
		return 2;
	}
	printf("%s\n", out);
	return 0;
}
