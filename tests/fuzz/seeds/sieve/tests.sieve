if not not not allof (true, anyof (false, not true)) { discard; }
