"""Flask blueprints for every way in: Twilio, web chat, the no-JS form and the partner API."""
