"""Twilio's webhooks (SMS, voice, status callbacks) and its REST API, for the residents who text or call."""
