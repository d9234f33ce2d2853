require "mime";
if header :is "a" { keep }
frob "x" [1, 2] :tag;
if anyof (true false) { stop; } else keep;
/* unterminated
