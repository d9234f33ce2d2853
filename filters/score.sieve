# score.sieve: postdesk's shipped spam score (postdesk-rules(7)).
#
# Run first in [filters] scripts; the routing scripts after it read the
# total with spamtest.  Each rule adds (or, for signs of a real
# conversation, removes) whole points; [spam] hold = 5 holds a ticket
# (no acknowledgement, no notification) and quarantine = 10 keeps the mail
# out of the tickets.  The points are set so that no single content rule
# reaches hold on its own: it takes several signs together.  Measured on the
# SpamAssassin public corpus by tests/corpus/test_spam_spamassassin.py
# (no network, no DNS lists: sender authentication adds its own rules
# below only when it is on).
#
# Edit a copy, not this file: `postdesk test --json FILE` shows every rule
# a mail hits and its points.

require ["vnd.postdesk", "body", "regex", "relational", "comparator-i;ascii-numeric",
         "variables"];

# --- the test mail: every filter must catch it -------------------------
if body :contains "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X" {
    score :add 1000 "GTUBE";
}

# --- sender authentication (lib/auth; "none" when [auth] is off) ---------
# A From domain whose owner publishes DMARC reject/quarantine and that
# fails it is forged: the strongest sign there is.
if allof (auth "dmarc" "fail", auth "dmarc-policy" ["reject", "quarantine"]) {
    score :add 6 "DMARC_FAIL_POLICY";
} elsif auth "dmarc" "fail" {
    score :add 2 "DMARC_FAIL";
}
# SPF fail: the sending host is one the domain says never sends for it.
if auth "spf" "fail" { score :add 2 "SPF_FAIL"; }
if auth "spf" "softfail" { score :add 1 "SPF_SOFTFAIL"; }
# A valid signature of the From domain: somebody vouches for the mail.
if auth "dmarc" "pass" { score :sub 1 "DMARC_PASS"; }

# --- the envelope and header shape ---------------------------------------
# Real mail programs always write Date and Message-ID; bulk senders of
# 2002-style spam often did not.
if fact "missing" "date" { score :add 1 "MISSING_DATE"; }
if fact "missing" "message-id" { score :add 1 "MISSING_MID"; }
# Addressed to nobody in particular.
if header :contains ["to", "cc"] "undisclosed" { score :add 2 "UNDISC_RECIPS"; }
# "Urgent" flags: mail programs set them only when a person asks to.
if anyof (header :regex "x-priority" "^[[:space:]]*1", header :is "x-msmail-priority" "high") {
    score :add 1 "HIGH_PRIORITY";
}
# RFC 2606 style labels some US states required on advertising.
if header :regex "subject" "^[[:space:]]*adv[[:space:]]*:" { score :add 4 "SUBJ_ADV"; }
# A subject in capitals ("MAKE MONEY NOW"): shouting is rare in real
# questions.  Case-sensitive: i;octet.
if header :regex :comparator "i;octet" "subject" "^[^a-z]*[A-Z]{3,}[^a-z]*[A-Z]{3,}[^a-z]*$" {
    score :add 2 "SUBJ_ALL_CAPS";
}
if header :regex "subject" "(!!|\\$\\$|[$][0-9]|100%|free!)" { score :add 2 "SUBJ_MONEY_PUNCT"; }
if header :regex "subject" "(^|[^a-z])(free|guaranteed?|viagra|mortgage|refinanc|loans?|debt|casino|lottery|winner|credit|income|cash|investors?|investment|sales?|offers?|deals?|save|savings|cheap|lowest|low price|amazing|weight|diet|xxx|adult|sex|porn|teens?|tobacco|smokes|cigarettes)([^a-z]|$)" {
    score :add 1 "SUBJ_SALES_WORD";
}
# A tracking number glued to the end of the subject ("... 10.148",
# "... [ID:8831]"), how list-washing spam tools of the time told runs apart.
if header :regex "subject" "([[:space:]][0-9]{2,}[.-][0-9]+|[[:space:]]{4,}[a-z0-9]+|[[[(]?id[: ]?[0-9]{3,}[])]?)[[:space:]]*$" {
    score :add 2 "SUBJ_TRACKING_ID";
}
# Charsets for languages this desk does not read (an operator in Korea or
# China removes this rule).
if header :regex "content-type" "charset=\"?(ks_c_5601|euc-kr|gb2312|big5|windows-1251)" {
    score :add 2 "FOREIGN_CHARSET";
}

# --- the body's shape ---------------------------------------------------
# HTML without a plain-text part: rarely what a person's mail program
# writes for a question, common for mass mail.
if fact "html-only" "yes" { score :add 1 "HTML_ONLY"; }
# Text styled so the reader does not see it (but a filter does).
if fact "hidden-text" "yes" { score :add 2 "HTML_HIDDEN_TEXT"; }
# Large or coloured shouting in HTML.  (The HTML parts only: :raw would
# search every attachment's base64 too, the costliest test there is.)
if body :content "text/html" :regex "<font[^>]*size=\"?(\\+[2-9]|[5-7])" { score :add 1 "HTML_BIG_FONT"; }
# Script that rewrites the status bar hides where a link goes.
if body :content "text/html" :contains "window.status" { score :add 2 "HTML_STATUS_HIDE"; }
# Links to a bare IP address hide who runs the site.
if fact "link-host" :regex "^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$" { score :add 3 "LINK_TO_IP"; }

# --- what the body says ----------------------------------------------------
# Phrases of mass mailing: each is weak, together they are not.
if body :text :regex "(click|go|visit) here" { score :add 1 "CLICK_HERE"; }
if body :text :regex "(to be|be) removed from|remove (me|yourself)|removal instructions|to unsubscribe|opt[- ]?out" {
    score :add 1 "REMOVE_INSTRUCTIONS";
}
if body :text :regex "this (e-?mail|message) is not (spam|unsolicited)|bill ?s\\.? ?1618|not considered spam|one[- ]time (mailing|e-?mail)" {
    score :add 4 "NOT_SPAM_CLAIM";
}
if body :text :regex "(100%|absolutely|completely) free|free (gift|trial|offer|quote|access)|no (cost|obligation)|risk[- ]free|money[- ]back" {
    score :add 2 "FREE_OFFER";
}
if body :text :regex "(order|call|act|buy|apply|sign up|subscribe) (now|today)|limited time|while supplies last|don'?t (delay|miss)|expires? (soon|today)" {
    score :add 1 "URGENCY";
}
if body :text :regex "dear (friend|sir|madam|member|homeowner|valued)|you (have been|were) (selected|chosen)|congratulations[,!]" {
    score :add 2 "DEAR_FRIEND";
}
if body :text :regex "(make|earn) (money|\\$|cash)|work (from|at) home|financial freedom|extra income|per (week|month) from home|multi[- ]?level marketing|home[- ]based business|be your own boss" {
    score :add 3 "MONEY_MAKING";
}
if body :text :regex "(credit card|mortgage|refinanc|interest rate|debt consolidation|lowest (rate|price)|pre-?approved|bad credit)" {
    score :add 1 "FINANCE_PITCH";
}
if body :text :regex "(viagra|cialis|weight loss|lose weight|lose [0-9]+.{0,12}(lbs|pounds)|diet pill|herbal|penis|breast enlarg|human growth hormone|anti-aging)" {
    score :add 1 "PHARMA_DIET";
}
if body :text :regex "(hardcore|horny|xxx|milf|nude|naked|sexy (girls|teens|women)|adult (site|content|entertainment|movies)|live (sex|cams?)|barely legal)" {
    score :add 3 "ADULT";
}
if body :text :regex "(bulk e-?mail|e-?mail addresses? (list|for sale)|millions? of (e-?mail|addresses)|targeted (e-?mail|list)|opt-in list)" {
    score :add 3 "BULK_MAIL_SALES";
}
if body :text :regex "\\$[0-9]{1,3}(,[0-9]{3})+|[0-9]+ (million|thousand) dollars" {
    score :add 1 "DOLLAR_AMOUNTS";
}
if body :text :regex "!!!" { score :add 1 "EXCLAMATIONS"; }
# Promises a seller makes and a customer asking for help does not.
if body :text :regex "(satisfaction|100%|money[- ]back|results) guarantee|guaranteed (results|income|approval|to (lose|make|earn))" {
    score :add 2 "GUARANTEE";
}
if body :text :regex "toll[- ]free|call 1-?8(00|88|77|66)" { score :add 1 "TOLL_FREE_NUMBER"; }
if body :text :regex "you (are receiving|received) this (because|e-?mail|message)|this (e-?mail|message) (is|was) sent to you because" {
    score :add 1 "RECEIVING_BECAUSE";
}

# --- signs of a real conversation -------------------------------------------
# A reply cites the mail it answers; spam rarely builds a References chain.
if exists "references" { score :sub 1 "HAS_REFERENCES"; }
# A sender that lets the reader leave the list in one step (RFC 2369,
# RFC 8058) is a sender that wants to stay out of the spam folders.
if exists "list-unsubscribe" { score :sub 1 "LIST_UNSUBSCRIBE"; }
if body :text :regex "(^|[[:cntrl:]])>[[:space:]]|wrote:" { score :sub 1 "QUOTES_A_MAIL"; }
