"""Who may call the gateway: credentials, JWTs, the identity read model, the guard, rate limits, audit."""
