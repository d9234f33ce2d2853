/* pd-mail-reply: what a customer wrote above the quoted history.
 * The contract is in pd-mail-reply.h.  Each rule reads one line (or up
 * to three joined lines for an attribution wrapped by the client) and
 * says "the reply ends before this line". */
#include <string.h>

#include "mail/pd-mail-reply.h"

#define ATTRIBUTION_LINES 3
#define OUTLOOK_WINDOW 6

static GRegex *
regex_once(GRegex **slot, const char *pattern)
{
	if (g_once_init_enter(slot)) {
		GRegex *re = g_regex_new(pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);

		g_assert(re != NULL);
		g_once_init_leave(slot, re);
	}
	return *slot;
}

/* "On Mon, 1 Jan 2024, Bill <bill@x> wrote:" and its translations. */
static gboolean is_attribution_start(const char *line);

#define WROTE_WORDS "(wrote|writes|schrieb|schreef|a écrit|a ecrit|escribió|escribio|ha scritto|" \
	"scrisse|skrev|kirjoitti|napisał|napisal|escreveu|написал|написала|написав|" \
	"пишет|пише|yazdı|írta|έγραψε|napsal|写道|寫道|のメッセージ|작성)"

static gboolean
is_attribution(const char *joined)
{
	static GRegex *re, *named_after;

	/* "Am 1.1.2024 schrieb Bill <b@x>:": the name after the verb */
	if (is_attribution_start(joined) &&
	    g_regex_match(regex_once(&named_after, WROTE_WORDS ".*[:：]\\s*$"), joined, 0, NULL) &&
	    strlen(joined) < 400)
		return TRUE;
	return g_regex_match(regex_once(&re,
		"(wrote|writes|schrieb|schreef|a écrit|a ecrit|escribió|escribio|ha scritto|"
		"scrisse|skrev|kirjoitti|napisał|napisal|escreveu|написал|написала|написав|"
		"пишет|пише|yazdı|írta|έγραψε|napsal|写道|寫道|のメッセージ|작성)"
		"\\s*[:：]?\\s*$"), joined, 0, NULL) &&
		strlen(joined) < 400;
}

/* The first line of an attribution a client wrapped over several lines. */
static gboolean
is_attribution_start(const char *line)
{
	static GRegex *re;

	return g_regex_match(regex_once(&re,
		"^\\s*(On|Am|Le|El|Il|Op|Den|På|Pa|W dniu|Em|В|У|Dne|Dňa|Le\\s|\\d{1,4}[-./])\\b"),
		line, 0, NULL);
}

static gboolean
label_matches(GRegex **slot, const char *labels, const char *line)
{
	if (g_once_init_enter(slot)) {
		g_autofree char *pattern = g_strdup_printf("^\\s*[*_]{0,2}(%s)\\s*[*_]{0,2}\\s*[:：]",
							   labels);
		GRegex *re = g_regex_new(pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);

		g_assert(re != NULL);
		g_once_init_leave(slot, re);
	}
	return g_regex_match(*slot, line, 0, NULL);
}

static gboolean
is_from_label(const char *line)
{
	static GRegex *re;

	return label_matches(&re, "From|Von|De|Van|Från|Fra|Fra|Od|От|Від|Da|Lähettäjä|Kimden|发件人|寄件者|差出人", line);
}

static gboolean
is_sent_label(const char *line)
{
	static GRegex *re;

	return label_matches(&re, "Sent|Date|Gesendet|Datum|Envoyé|Envoye|Date d'envoi|Enviado|Enviada|"
			     "Fecha|Inviato|Data|Verzonden|Skickat|Sendt|Wysłano|Wysłane|Отправлено|"
			     "Дата|Надіслано|Lähetetty|Tarih|发送时间|日期|寄件日期|送信日時|Subject|"
			     "Betreff|Objet|Asunto|Oggetto|Onderwerp|Ämne|Emne|Temat|Тема|Assunto", line);
}

/* Lines that open a block that is not the customer's own text. */
static gboolean
is_block_start(const char *line)
{
	static GRegex *re;

	return g_regex_match(regex_once(&re,
		"^\\s*(-{2,}\\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|"
		"Mensaje original|Messaggio originale|Oorspronkelijk bericht|Ursprungligt meddelande|"
		"Opprinnelig melding|Oryginalna wiadomość|Исходное сообщение|Mensagem original|"
		"Forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado|"
		"Messaggio inoltrato|Doorgestuurd bericht)\\s*-{2,}|"
		"Begin forwarded message:|Anfang der weitergeleiteten Nachricht:|"
		"Début du message réexpédié|_{20,}\\s*$)"), line, 0, NULL);
}

/* A signature separator or a mobile client's line. */
static gboolean
is_signature(const char *line)
{
	static GRegex *re;

	return g_regex_match(regex_once(&re,
		"^(--\\s?$|(Sent from my|Sent from Mail for|Sent from Yahoo|Sent from Outlook|"
		"Get Outlook for|Sent via|Sent from Samsung|Sent from mobile|"
		"Von meinem|Gesendet von meinem|Envoyé de mon|Envoyé depuis|Enviado desde mi|"
		"Enviado do meu|Inviato da|Verzonden met|Verstuurd vanaf|Skickat från|Sendt fra min|"
		"Wysłane z|Отправлено с)\\b)"), line, 0, NULL);
}

static gboolean
is_quote(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	return *line == '>';
}

static gboolean
is_blank(const char *line)
{
	for (; *line != '\0'; line++)
		if (!g_ascii_isspace(*line))
			return FALSE;
	return TRUE;
}

/* A line of dashes, underscores or equals signs only (the rule Outlook
 * draws above its header block). */
static gboolean
is_rule_line(const char *line)
{
	guint n = 0;

	for (; *line != '\0'; line++) {
		if (*line == '-' || *line == '_' || *line == '=' || *line == '*')
			n++;
		else if (!g_ascii_isspace(*line))
			return FALSE;
	}
	return n >= 3;
}

static gboolean
has_separator(const char *line, const char *const *separators)
{
	if (strstr(line, PD_MAIL_REPLY_MARKER) != NULL)
		return TRUE;
	for (guint i = 0; separators != NULL && separators[i] != NULL; i++)
		if (separators[i][0] != '\0' && strstr(line, separators[i]) != NULL)
			return TRUE;
	return FALSE;
}

static gboolean
is_outlook_block(char **lines, guint i, guint n)
{
	if (!is_from_label(lines[i]))
		return FALSE;
	for (guint j = i + 1; j < n && j <= i + OUTLOOK_WINDOW; j++)
		if (is_sent_label(lines[j]))
			return TRUE;
	return FALSE;
}

/* The index of the first line that is not the reply, or N. */
static guint
cut_index(char **lines, guint n, const char *const *separators)
{
	for (guint i = 0; i < n; i++) {
		gboolean rest_quoted = TRUE;

		if (has_separator(lines[i], separators) || is_block_start(lines[i]) ||
		    is_outlook_block(lines, i, n) || is_signature(lines[i]))
			return i;
		for (guint k = 0; k < ATTRIBUTION_LINES && i + k < n; k++) {
			g_autofree char *joined = NULL;

			if (k > 0 && (!is_attribution_start(lines[i]) || is_blank(lines[i + k])))
				break;
			{
				GString *s = g_string_new(NULL);

				for (guint m = 0; m <= k; m++)
					g_string_append_printf(s, "%s%s", m > 0 ? " " : "",
							       g_strstrip(lines[i + m]));
				joined = g_string_free(s, FALSE);
			}
			if (is_attribution(joined))
				return i;
		}
		/* a quoted block that runs to the end (interleaved answers stay) */
		if (!is_quote(lines[i]))
			continue;
		for (guint j = i; j < n && rest_quoted; j++)
			rest_quoted = is_quote(lines[j]) || is_blank(lines[j]);
		if (rest_quoted)
			return i;
	}
	return n;
}

char *
pd_mail_reply_trim(const char *text, const char *const *separators)
{
	g_autofree char *unix_text = NULL;
	g_auto(GStrv) lines = NULL;
	GString *out;
	guint n, cut;

	g_return_val_if_fail(text != NULL, NULL);
	unix_text = g_strdup(text);
	{
		char *w = unix_text;

		for (const char *r = text; *r != '\0'; r++)
			if (!(r[0] == '\r' && r[1] == '\n'))
				*w++ = *r;
		*w = '\0';
	}
	lines = g_strsplit(unix_text, "\n", -1);
	n = g_strv_length(lines);
	{
		/* the rules read stripped copies; the output keeps the lines */
		g_auto(GStrv) copy = g_strdupv(lines);

		cut = cut_index(copy, n, separators);
	}
	/* drop the blank and rule lines just above the cut */
	while (cut > 0 && (is_blank(lines[cut - 1]) || is_rule_line(lines[cut - 1])))
		cut--;
	out = g_string_new(NULL);
	for (guint i = 0; i < cut; i++)
		g_string_append_printf(out, "%s%s", i > 0 ? "\n" : "", lines[i]);
	while (out->len > 0 && g_ascii_isspace(out->str[out->len - 1]))
		g_string_truncate(out, out->len - 1);
	if (is_blank(out->str)) {
		g_string_free(out, TRUE);
		return g_strdup(text);
	}
	return g_string_free(out, FALSE);
}
