"""E-mail to an agency, through the relay over verified TLS.

The relay is reached as `smtp_security` says (`Settings.mail_security`): "starttls" asks for TLS
before anything else is said and stops if the relay does not offer it (no quiet fall back to
plain text: that is what an attacker in between would arrange), "implicit" speaks TLS from the
first byte, and "none" is for the local outbox of development only (settings refuse it anywhere
else, and refuse a username with it). TLS checks the relay's certificate chain (against
`smtp_ca_file` when set, the system's trust store otherwise) and its host name, so an impostor
relay gets neither the password nor the mail: credentials are sent only after the handshake.

An untrusted certificate or a missing STARTTLS is retryable: it is a fault of the path or of
configuration, and once the real relay answers again (or the operator installs the right CA) the
next attempt delivers; meanwhile the notification shows why, in words without personal data.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.directory import Agency, Email
from activities.mail_words import BODY, asked
from infra.settings import Settings
from workflows.model.contracts import PERMANENT, Delivery
from workflows.model.vocabulary import AgencyType

OWN = frozenset({AgencyType.ASSISTANCE_OFFICE, AgencyType.OFFICE_LEAD})


def compose(sender: str, console_url: str, channel: Email, delivery: Delivery,
            agency: Agency) -> EmailMessage:
    """A readable message in the agency's language: what is asked, the case's number and where to
    sign in for the rest. Plain e-mail is no place for the person: what the notification says
    is read after signing in (or arrives by a signed webhook)."""
    mail = EmailMessage()
    what = asked(delivery.purpose, agency.language)
    mail["Subject"] = f"{what}: {_named(delivery)}"
    mail["From"], mail["To"] = sender, channel.address
    mail["Message-ID"] = f"<{hashlib.sha256(delivery.key.encode()).hexdigest()}@casework>"
    mail["Idempotency-Key"] = delivery.key
    mail["X-Casework-Purpose"] = delivery.purpose  # for a receiver's own sorting
    # The assistance system's own offices and leads work on the case page; agencies on theirs.
    desk = "cases" if agency.type in OWN else "agency/cases"
    mail.set_content(BODY[agency.language].format(
        organisation=agency.name, asked=what, case_id=_named(delivery),
        link=f"{console_url.rstrip('/')}/{desk}/{delivery.case_id}"))
    return mail


def _named(delivery: Delivery) -> str:
    """The case as a person names it: its reference number (and the id), or the id alone."""
    number = delivery.message.get("reference_number")
    return f"{number} ({delivery.case_id})" if number else delivery.case_id


def tls_context(settings: Settings) -> ssl.SSLContext:
    """Chain and host name checked, TLS 1.2 at least (the defaults of `create_default_context`)."""
    cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
    return ssl.create_default_context(cafile=cafile)


def send(settings: Settings, mail: EmailMessage) -> None:
    """Hand `mail` to the relay; an ApplicationError says why not (retryable unless the relay
    refused it for good)."""
    try:
        _send(settings, mail)
    except ssl.SSLCertVerificationError as err:
        activity.logger.warning("mail relay certificate not trusted", extra={
            "smtp_host": settings.smtp_host, "reason": err.verify_message})
        raise ApplicationError(f"mail not sent: the mail server's certificate was not trusted "
                               f"({err.verify_message})") from None
    except ssl.SSLError as err:
        raise ApplicationError(f"mail not sent: TLS with the mail server failed "
                               f"({err.reason or type(err).__name__})") from None
    except smtplib.SMTPResponseException as err:
        if 400 <= err.smtp_code < 500:
            raise ApplicationError(f"mail deferred: SMTP {err.smtp_code}") from None
        raise ApplicationError(f"mail refused: SMTP {err.smtp_code}", type=PERMANENT,
                               non_retryable=True) from None
    except (OSError, smtplib.SMTPException) as err:
        raise ApplicationError(f"mail server unreachable: {type(err).__name__}") from None


def _send(settings: Settings, mail: EmailMessage) -> None:
    s, security = settings, settings.mail_security
    if security == "none" and s.smtp_username:
        # Settings refuse this; a copy made without validation must not leak the password.
        raise ApplicationError("mail not sent: a username without TLS (CASEWORK_SMTP_SECURITY)",
                               type=PERMANENT, non_retryable=True)
    smtp: smtplib.SMTP
    if security == "implicit":
        smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.delivery_timeout_seconds,
                                context=tls_context(s))
    else:
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.delivery_timeout_seconds)
    with smtp:
        if security == "starttls":
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                activity.logger.warning("mail relay offers no STARTTLS",
                                        extra={"smtp_host": s.smtp_host})
                raise ApplicationError("mail not sent: the mail server did not offer STARTTLS, "
                                       "which CASEWORK_SMTP_SECURITY=starttls requires")
            smtp.starttls(context=tls_context(s))  # says EHLO again over TLS when next needed
        if s.smtp_username:
            smtp.login(s.smtp_username, s.smtp_password or "")
        smtp.send_message(mail)
