require ["fileinto", "envelope", "variables", "relational", "comparator-i;ascii-numeric",
         "subaddress", "imap4flags", "copy", "reject", "encoded-character", "body"];
if body :content "text" :contains "refund" { addflag "refund"; }
# route by subject and recipient detail
if header :matches "subject" "Invoice * *" {
	set :upperfirst "kind" "${2}";
	fileinto "billing-${1}";
} elsif envelope :detail :is "to" "urgent" {
	addflag "\\Flagged";
	redirect :copy "oncall@desk.test";
} elsif anyof (exists "x-spam-flag", header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "5") {
	fileinto :flags "junk" "spam";
	stop;
} else {
	keep;
}
if address :domain :is ["from", "sender"] "${hex:61}.test" { reject text:
Go away.
..dot
.
; }
if size :over 1M { discard; }
