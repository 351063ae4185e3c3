"""What the board report, the open data and the charts call things: English names for each closed vocabulary."""

from __future__ import annotations

from intake.enums import Channel, Disposition, Kind, Language, Status

UNCATEGORISED = "uncategorised"

KIND_NAMES = {Kind.COMPLAINT.value: "Complaint", Kind.COMMENDATION.value: "Commendation"}
STATUS_NAMES = {
    Status.RECEIVED.value: "Received",
    Status.TRIAGE.value: "In triage",
    Status.ASSIGNED.value: "Assigned",
    Status.INVESTIGATING.value: "Investigating",
    Status.REFERRED.value: "Referred",
    Status.CLOSED.value: "Closed",
    Status.WITHDRAWN.value: "Withdrawn",
}
CHANNEL_NAMES = {
    Channel.SMS.value: "Text message",
    Channel.VOICE.value: "Phone call",
    Channel.TTY.value: "TTY call",
    Channel.RELAY.value: "Relay call",
    Channel.WEB_CHAT.value: "Web chat",
    Channel.WEB_FORM.value: "Web form",
    Channel.PARTNER.value: "Partner organisation",
    Channel.IN_PERSON.value: "In person",
    Channel.MAIL.value: "Mail",
    Channel.WHATSAPP.value: "WhatsApp",
    Channel.EMAIL.value: "Email",
}
LANGUAGE_NAMES = {
    Language.EN.value: "English",
    Language.ES.value: "Spanish",
    Language.TL.value: "Tagalog",
    Language.VI.value: "Vietnamese",
    Language.ZH.value: "Chinese",
    Language.KM.value: "Khmer",
    Language.HMN.value: "Hmong",
    Language.LO.value: "Lao",
    Language.PA.value: "Punjabi",
}
CATEGORY_NAMES = {
    "use_of_force": "Use of force",
    "discourtesy": "Discourtesy or offensive language",
    "bias_or_profiling": "Bias or profiling",
    "improper_stop_search_arrest": "Improper stop, search or arrest",
    "failure_to_act": "Failure to act",
    "property": "Property",
    "other": "Other",
    "commendation": "Commendation",
    "callback_request": "Call-back request",
    UNCATEGORISED: "Not yet categorised",
}
DISPOSITION_NAMES = {
    Disposition.SUSTAINED.value: "Sustained",
    Disposition.NOT_SUSTAINED.value: "Not sustained",
    Disposition.EXONERATED.value: "Exonerated",
    Disposition.UNFOUNDED.value: "Unfounded",
    Disposition.POLICY_FAILURE.value: "Policy failure",
    Disposition.MEDIATED.value: "Mediated",
    Disposition.NO_JURISDICTION.value: "No jurisdiction",
    Disposition.DUPLICATE.value: "Duplicate",
    Disposition.ACKNOWLEDGED.value: "Acknowledged (commendation)",
}
# The data-quality checks, in the order the report shows them.
QUALITY_CHECKS = {
    "required_fields": "What happened and when, in the resident's words",
    "incident_time_parsed": "Incident time understood as a date and time",
    "location_given": "Location given",
    "category_set": "Category set",
}
