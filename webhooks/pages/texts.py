"""Every word the resident pages show, marked for the web catalog (``wt`` renders them)."""

from __future__ import annotations

from intake.enums import Status
from webhooks.webtext import (
    N_,
)

COOKIE = "heard_web"
ACTOR = "web_form"
DEFAULT_LEAVE_URL = "https://www.weather.gov/"
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

COMPLAINT = N_("Make a complaint about police conduct")
COMMENDATION = N_("Thank an officer for good police work")
YES_ANONYMOUS = N_("Yes, stay anonymous")
NO_ANONYMOUS = N_("No, I will tell you how to reach me")
NOT_GIVEN = N_("(not given)")
ANONYMOUS = N_("Anonymous")
CHOOSE_ONE = N_("Please choose one.")
TELL_US = N_("Please tell us what happened.")
SHORTEN = N_("Please shorten this answer to at most {limit} characters.")
BAD_PHONE = N_("This is not a phone number we can call or text. Please check it.")
BAD_EMAIL = N_("This does not look like an email address. Please check it.")
NEED_PHONE = N_("To be contacted this way, please give a phone number.")
NEED_EMAIL = N_("To be contacted by email, please give an email address.")
FUTURE = N_("The date cannot be in the future.")
CHECK = N_("Please check this answer.")
EXPIRED = N_(
    "This page has expired, or your browser does not keep cookies for this site. "
    "If you already sent your report, it was received: use your tracking number and PIN to check on it."
)
NO_MATCH = N_("No report matches this tracking number and PIN. Please check them and try again.")
NEED_BOTH = N_("Please enter a tracking number and a PIN.")
PIN_LOCKED = N_(
    "This report is locked because a wrong PIN was entered too many times. "
    "To unlock it, call the intake office at {phone}."
)
TOO_FAST = N_("You are sending very quickly. Please wait a minute and try again.")
NOT_FOUND = N_("We could not find this page.")
FILE_HINT = N_(
    "You can add photos, videos, sound recordings or PDF documents. Each file can be at most {size} MB. "
    "You can choose several files at once, or none."
)
FILE_PRIVATE = N_(
    "Your files are kept encrypted. The intake office sees them, "
    "and the police only if your report is referred to them."
)
NO_FILES = N_("No files added")
FILE_TYPE = N_("{name} was not added, because it is not a photo, video, sound recording or PDF document.")
FILE_SIZE = N_("{name} was not added, because it is larger than {size} MB.")
FILE_EMPTY = N_("{name} was not added, because it is empty.")
FILE_TOO_MANY = N_("{name} was not added, because a report can have at most {limit} files.")
FILES_TOO_LARGE = N_(
    "The files you chose are too large to send all at once, so none of them was added. "
    "Each file can be at most {size} MB: please choose fewer files at a time. Your other answers are saved."
)
# What Heard holds from a resident (the status page, issue 17): the report's labels of their words.
WORD_LABELS = {
    "narrative": N_("What happened"),
    "incident_time_text": N_("When"),
    "location": N_("Where"),
    "officers": N_("Officers"),
    "injuries": N_("Injuries"),
    "witnesses": N_("Witnesses"),
    "name": N_("Your name"),
    "phone": N_("Phone number"),
    "email": N_("Email address"),
}
CONFIRM_FORGET = N_("To delete your contact details, tick the box and enter your PIN again.")
CONTACT_HELD = N_(
    "Your report is kept unchanged for a legal reason, so your contact details cannot be deleted now. "
    "To ask about it, call the intake office at {phone}."
)
CONTACT_FORGOTTEN = N_(
    "Your contact details were deleted. Your report stays, but the office can no longer contact you about it."
)
# The page a resident sees when something fails, by HTTP status: a heading and what to do.
ERROR_PAGES = {
    404: (NOT_FOUND, N_("The address may be mistyped, or the page may have moved.")),
    405: (N_("This page cannot do what your browser asked."), N_("Please go back and try again.")),
    413: (
        N_("What you sent is too large."),
        N_("Please shorten it and try again. The answers you saved before were not lost."),
    ),
    429: (TOO_FAST, None),
    500: (
        N_("Something went wrong on our side."),
        N_("Nothing you sent before was lost. Please try again in a few minutes."),
    ),
}
OTHER_ERROR = (N_("This request could not be handled."), N_("Please go back and try again."))
# Phones pick from the camera and the gallery with wide types; the bytes are checked on arrival.
FILE_ACCEPT = "image/*,video/*,audio/*,application/pdf,.heic,.heif"
# A report keeps at most this many files; one submission may carry this many files of the largest size.
EVIDENCE_MAX_FILES = 10
EVIDENCE_FILES_PER_SEND = 4
# NOTE: a refused upload is read to its end (up to this much) so that the browser shows the
# answer instead of "connection reset"; beyond it the connection is simply closed.
DRAIN_MAX_BYTES = 100 * 1024 * 1024
# Said of a case closed as a duplicate; the other case's number is the office's to tell.
MERGED = N_(
    "This report was joined with another report about the same events; the intake office handles them together. "
    "Your tracking number and PIN still work."
)
STATUS_TEXT = {
    Status.RECEIVED: N_("received, waiting to be reviewed"),
    Status.TRIAGE: N_("being reviewed by the intake office"),
    Status.ASSIGNED: N_("assigned to an investigator"),
    Status.INVESTIGATING: N_("under investigation"),
    Status.REFERRED: N_("referred to the police department for action"),
    Status.CLOSED: N_("closed"),
    Status.WITHDRAWN: N_("withdrawn"),
}

# Finishing on the web a report begun by text (issue 20 item 4).
RESUME_HEADING = N_("Finish the report you started by text")
RESUME_LABEL = N_("Your code")
RESUME_HINT = N_("We texted it to you when you sent WEB. It has 8 letters and numbers and works once.")
RESUME_BUTTON = N_("Continue")
# What a code that opens nothing is told, by ResumeRefused.reason.
RESUME_REFUSALS = {
    "wrong": N_("This code does not open a report. Please check it, or text WEB again for a new code."),
    "expired": N_("This code has expired. Text WEB again for a new code."),
    "used": N_("This code was already used. Text WEB again for a new code."),
    "too_many": N_("This code does not open a report. Please check it, or text WEB again for a new code."),
}
