"""A registry of our own (OCI distribution-spec 1.1): `hydock registry serve`, its token issuer and its gc."""
