"""The OpenAPI 3.1 description of the partner API, built from the same vocabularies the code uses."""

from __future__ import annotations

from typing import Any

from intake.cases.filing import EMAIL_MAX_CHARS, FIELD_MAX_CHARS, NAME_MAX_CHARS, NARRATIVE_MAX_CHARS
from intake.enums import Channel, Kind, Language, PreferredContact, Status

_text = {"type": ["string", "null"], "maxLength": FIELD_MAX_CHARS}
_error = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Heard partner intake API",
        "version": "1.0.0",
        "description": (
            "Community organisations and Heard's own channels file complaints and commendations "
            "about police conduct into an intake queue run independently of the police department."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"partnerToken": []}],
    "paths": {
        "/complaints": {
            "post": {
                "operationId": "fileComplaint",
                "summary": "File a complaint or commendation",
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": True,
                        "description": "One key per case; a repeat with the same body answers the same receipt.",
                        "schema": {"type": "string", "maxLength": 255},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Submission"}}},
                },
                "responses": {
                    "201": _json({"$ref": "#/components/schemas/Receipt"}, "Filed (or the same key's receipt again)"),
                    "401": _json(_error, "Missing or unknown partner token"),
                    "409": _json(_error, "The key was used for a different request"),
                    "413": _json(_error, "Request body over 2 MB"),
                    "422": _json({"$ref": "#/components/schemas/ValidationErrors"}, "Invalid fields"),
                },
            }
        },
        "/complaints/{tracking_number}/status": {
            "get": {
                "operationId": "complaintStatus",
                "summary": "The status of a case, for whoever holds its tracking number and PIN",
                "parameters": [
                    {
                        "name": "tracking_number",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "examples": ["482-193-7703"]},
                    },
                    {
                        "name": "X-Heard-PIN",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "The case's PIN (preferred: kept out of URLs and their logs)",
                    },
                    {
                        "name": "pin",
                        "in": "query",
                        "required": False,
                        "deprecated": True,
                        "schema": {"type": "string"},
                        "description": "The PIN, if the header is not sent",
                    },
                ],
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/Status"}, "The case's status"),
                    "401": _json(_error, "Missing or unknown partner token"),
                    "404": _json(_error, "Unknown number or wrong PIN (the same answer for both)"),
                    "429": _json(_error, "Too many look-ups"),
                },
            }
        },
    },
    "components": {
        "securitySchemes": {"partnerToken": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Submission": {
                "type": "object",
                "additionalProperties": False,
                "required": ["kind", "language", "narrative"],
                "properties": {
                    "kind": {"enum": Kind.values()},
                    "channel": {"enum": Channel.values(), "default": Channel.PARTNER.value},
                    "language": {"enum": Language.values()},
                    "narrative": {"type": "string", "minLength": 1, "maxLength": NARRATIVE_MAX_CHARS},
                    "incident_time_text": _text,
                    "incident_time": {"type": ["string", "null"], "format": "date-time"},
                    "location": _text,
                    "officers": _text,
                    "injuries": _text,
                    "witnesses": _text,
                    "anonymous": {"type": "boolean", "default": False},
                    "contact": {
                        "type": ["object", "null"],
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": ["string", "null"], "maxLength": NAME_MAX_CHARS},
                            "phone": {"type": ["string", "null"]},
                            "email": {"type": ["string", "null"], "maxLength": EMAIL_MAX_CHARS},
                            "preferred": {"enum": PreferredContact.values()},
                        },
                    },
                },
            },
            "Receipt": {
                "type": "object",
                "required": ["tracking_number", "pin", "status"],
                "properties": {
                    "tracking_number": {"type": "string", "examples": ["482-193-7703"]},
                    "pin": {"type": "string", "description": "Shown only to the filer"},
                    "status": {"enum": Status.values()},
                },
            },
            "Status": {
                "type": "object",
                "properties": {
                    "tracking_number": {"type": "string"},
                    "kind": {"enum": Kind.values()},
                    "status": {"enum": Status.values()},
                    "filed_at": {"type": "string", "format": "date-time"},
                    "last_update": {"type": "string", "format": "date-time"},
                    "merged": {
                        "type": "boolean",
                        "description": "The report was closed as a duplicate; it is handled in another case",
                    },
                },
            },
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
            "ValidationErrors": {
                "type": "object",
                "properties": {
                    "error": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        },
    },
}
