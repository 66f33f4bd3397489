"""A real SMTP server for deskflow's tests (aiosmtpd, Debian: python3-aiosmtpd).

It listens on 127.0.0.1:<port> and writes every accepted message as a JSON
file into --dir: {"mail_from", "rcpt_tos", "data" (the raw message as sent,
decoded as UTF-8), "auth_user" (the login that authenticated, or null),
"tls" (whether the session was encrypted)}. It prints READY on stdout once
it accepts connections, and stops on SIGTERM or SIGINT.

Modes: "starttls" (plain connection, STARTTLS offered and required before
MAIL), "tls" (implicit TLS from the first byte) and "none" (no TLS at all).
With --user and --password the server offers AUTH PLAIN and LOGIN (after
TLS, except in mode none), requires it before MAIL, and accepts only that
pair. A recipient whose local part starts with "reject" is refused with 550.

Run it with /usr/bin/python3: the pyenv python on PATH may lack aiosmtpd.
"""

import argparse
import json
import logging
import os
import signal
import ssl
import sys
import threading
import warnings

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError as exc:  # reported by the Go test with the package name
    sys.stderr.write("aiosmtpd is not importable (%s); install python3-aiosmtpd\n" % exc)
    sys.exit(3)


class Handler:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@", 1)[0].lower().startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        user = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            user = session.auth_data.login.decode("utf-8", "replace")
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        transport = getattr(server, "transport", None)
        encrypted = session.ssl is not None or (
            transport is not None and transport.get_extra_info("ssl_object") is not None
        )
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": raw.decode("utf-8", "replace"),
            "auth_user": user,
            "tls": encrypted,
        }
        with self.lock:
            self.count += 1
            name = "%06d.json" % self.count
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(tmp, os.path.join(self.directory, name))
        return "250 2.0.0 OK queued"


def authenticator_for(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--mode", choices=["starttls", "tls", "none"], default="starttls")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    args = p.parse_args()

    ctx = None
    if args.mode != "none":
        if not (args.cert and args.key):
            p.error("--cert and --key are required in mode %s" % args.mode)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)

    kwargs = {"hostname": "127.0.0.1", "port": args.port, "server_hostname": "smtp.test"}
    if args.mode == "starttls":
        kwargs.update(tls_context=ctx, require_starttls=True)
    elif args.mode == "tls":
        kwargs.update(ssl_context=ctx)
    if args.user is not None:
        kwargs.update(
            authenticator=authenticator_for(args.user, args.password or ""),
            auth_required=True,
            # In mode tls the whole session is encrypted, but aiosmtpd only
            # counts STARTTLS as TLS: require it only in mode starttls.
            auth_require_tls=args.mode == "starttls",
        )
    # Quiet aiosmtpd's own deprecation and configuration warnings.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")

    controller = Controller(Handler(args.dir), **kwargs)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("READY", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
