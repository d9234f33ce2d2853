/* lmtp-replies: the exact replies the dialogue tables expect. */
#ifndef LMTP_REPLIES_H
#define LMTP_REPLIES_H

#define LHLO "LHLO mx.test\r\n"
#define LHLO_HEAD "250-" HOST "\r\n250-PIPELINING\r\n250-SIZE 200\r\n" \
	"250-ENHANCEDSTATUSCODES\r\n"
#define LHLO_REPLY LHLO_HEAD "250-8BITMIME\r\n250 XFORWARD NAME ADDR PROTO HELO\r\n"
#define LHLO_REPLY_NO_XFORWARD LHLO_HEAD "250 8BITMIME\r\n"
#define OK "250 2.0.0 Ok\r\n"
#define MAIL_OK "250 2.1.0 Ok\r\n"
#define RCPT_OK "250 2.1.5 Ok\r\n"
#define GO "354 End data with <CR><LF>.<CR><LF>\r\n"
#define BYE "221 2.0.0 Bye\r\n"
#define NEED_LHLO "503 5.5.1 Error: send LHLO first\r\n"
#define NEED_MAIL "503 5.5.1 Error: need MAIL command\r\n"
#define NEED_RCPT "503 5.5.1 Error: need RCPT command\r\n"
#define NESTED "503 5.5.1 Error: nested MAIL command\r\n"
#define UNKNOWN_CMD "500 5.5.2 Error: command not recognized\r\n"
#define BAD_SYNTAX "500 5.5.2 Error: bad syntax\r\n"
#define TOO_LONG "500 5.5.2 Error: line too long\r\n"
#define MAIL_SYNTAX "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
#define RCPT_SYNTAX "501 5.5.4 Syntax: RCPT TO:<address>\r\n"
#define BAD_SENDER "501 5.1.7 Bad sender address syntax\r\n"
#define BAD_RCPT "501 5.1.3 Bad recipient address syntax\r\n"
#define SIZE_LIMIT "552 5.3.4 Message size exceeds fixed limit\r\n"
#define TOO_BIG "552 5.3.4 Error: message file too big\r\n"
#define TOO_MANY_RCPT "452 4.5.3 Error: too many recipients\r\n"
#define INTERNAL "451 4.3.0 Internal error\r\n"
#define TOO_MANY_ERRORS "421 4.7.0 " HOST " Error: too many errors\r\n"
#define DELIVERED(r) "250 2.0.0 <" r "> Ok\r\n"

/* One transaction from MAIL to 354 for one recipient. */
#define TXN(from, to) "MAIL FROM:<" from ">\r\nRCPT TO:<" to ">\r\nDATA\r\n"
#define TXN_REPLY MAIL_OK RCPT_OK GO

#endif
