"""What every web blueprint shares, webhooks and console alike: the request's database session,
the keyring, the rate limiter and Babel. It imports ``intake`` only, never a blueprint.
"""
