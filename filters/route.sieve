# route.sieve: an example of routing rules (postdesk-rules(7)); copy it next
# to score.sieve and list both in [filters] scripts.  The queues, groups
# and agents named here must exist in your configuration: `postdesk
# check-config` compiles the scripts, `postdesk test --json FILE` shows
# what they decide for a mail.
require ["vnd.postdesk", "fileinto", "spamtest", "relational",
         "comparator-i;ascii-numeric", "imap4flags", "subaddress", "envelope", "regex"];

# Spam first: the score of score.sieve, as RFC 5235 spamtest (10 is the
# quarantine threshold).  Tag what is close to it, so agents can find it.
if spamtest :value "ge" :comparator "i;ascii-numeric" "4" {
    tag "probably-spam";
}

# Invoices and payment questions go to billing, as high priority.
if header :regex "subject" "(invoice|refund|payment|receipt)" {
    fileinto "billing";
    category "billing";
    priority "high";
}

# Outages: urgent, and the on-call group hears of it at once.
if header :regex "subject" "(down|outage|cannot log ?in|can't log ?in)" {
    category "outage";
    priority "urgent";
    group "oncall";
}

# support+urgent@example.com: the customer asked for priority.
if envelope :detail "to" "urgent" { priority "high"; }

# A premium account's authenticated contacts reach their manager's group.
if identity :plan "premium" { group "premium"; }

# Auto-generated mail (monitoring, newsletters): a ticket without an
# acknowledgement.
if fact "class" ["auto-submitted", "bulk", "list"] { noack; addflag "automatic"; }
