"""A real SMTP server (aiosmtpd, Debian package python3-aiosmtpd) for the email receiver's tests.

Usage: smtp-receiver.py OUT_DIR [USER:PASSWORD]

Listens on a free loopback port and prints "LISTENING <port>"; writes each accepted message to
OUT_DIR/NNNN.eml and prints "MESSAGE <path> <recipient,recipient>". With USER:PASSWORD it requires
AUTH (over plain SMTP: loopback only). Scripted answers, chosen by the recipient's local part:
"reject..." is refused at RCPT with 550; "later..." makes the first DATA of each Message-ID answer
451 (printed "TEMPFAIL <message-id>"), the next one is accepted.
"""
import asyncio
import email.parser
import os
import sys

from aiosmtpd.smtp import SMTP, AuthResult

out_dir = sys.argv[1]
credentials = sys.argv[2].encode().split(b":", 1) if len(sys.argv) > 2 else None
tempfailed = set()
count = 0


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = credentials is not None and auth_data.login == credentials[0] and auth_data.password == credentials[1]
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].startswith("reject"):
            return "550 5.1.1 <%s>: no such user here" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        global count
        headers = email.parser.BytesHeaderParser().parsebytes(envelope.content)
        message_id = headers.get("Message-ID", "")
        if any(r.split("@")[0].startswith("later") for r in envelope.rcpt_tos) and message_id not in tempfailed:
            tempfailed.add(message_id)
            print("TEMPFAIL", message_id, flush=True)
            return "451 4.3.0 try again later"
        path = os.path.join(out_dir, "%04d.eml" % count)
        count += 1
        with open(path, "wb") as f:
            f.write(envelope.content)
        print("MESSAGE", path, ",".join(envelope.rcpt_tos), flush=True)
        return "250 2.0.0 Message accepted"


async def main():
    loop = asyncio.get_running_loop()
    if credentials is None:
        factory = lambda: SMTP(Handler(), hostname="localhost")
    else:
        factory = lambda: SMTP(Handler(), hostname="localhost", authenticator=authenticate,
                               auth_required=True, auth_require_tls=False)
    server = await loop.create_server(factory, "127.0.0.1", 0)
    print("LISTENING", server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
