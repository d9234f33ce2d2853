/* pd-authorization: the first line of a holder's answer.  See the header. */
#include "pd-authorization.h"

#include <string.h>

static gboolean
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

PdApprovalAnswer
pd_approval_answer_parse(const char *text)
{
	const char *p = text, *end, *limit;
	gsize len;

	if (text == NULL)
		return PD_APPROVAL_NONE;
	limit = text + strnlen(text, PD_APPROVAL_SCAN_MAX);
	/* skip blank lines and the blanks before the word */
	while (p < limit && (blank(*p) || *p == '\n'))
		p++;
	end = p;
	while (end < limit && *end != '\n')
		end++;
	if (end == limit && (gsize)(limit - text) == PD_APPROVAL_SCAN_MAX)
		return PD_APPROVAL_NONE;	/* the line goes on past the scan */
	while (end > p && blank(end[-1]))
		end--;
	if (end > p && (end[-1] == '.' || end[-1] == '!'))
		end--;
	len = (gsize)(end - p);
	if (len == strlen("approve") && g_ascii_strncasecmp(p, "approve", len) == 0)
		return PD_APPROVAL_APPROVE;
	if (len == strlen("refuse") && g_ascii_strncasecmp(p, "refuse", len) == 0)
		return PD_APPROVAL_REFUSE;
	return PD_APPROVAL_NONE;
}

const char *
pd_approval_answer_name(PdApprovalAnswer answer)
{
	switch (answer) {
	case PD_APPROVAL_APPROVE:
		return "approve";
	case PD_APPROVAL_REFUSE:
		return "refuse";
	case PD_APPROVAL_NONE:
		break;
	}
	return NULL;
}
