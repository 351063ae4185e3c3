"""What residents and Heard say to each other: texts, consent, splitting, web sessions.

Every inbound message, from any channel, is stored here first.
"""
