"""Access control: who a request speaks for (tokens), what it may do (scopes), and the
built-in SMART Backend Services authorization server."""
