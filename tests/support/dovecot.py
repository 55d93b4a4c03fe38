"""A real IMAP server for tests: Debian's dovecot, started as an unprivileged process (user
``nobody``) on a free 127.0.0.1 port with a configuration of its own in a temporary folder,
one user with a password, plain-text login (no TLS), and mail in Maildir. ``stop()`` ends it
and removes the folder."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.inbound import free_port

DOVECOT = "/usr/sbin/dovecot"
CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    def __init__(self, username: str = "bounces", password: str = "imap-secret-pass"):  # noqa: S107 - a throwaway test server
        self.username, self.password = username, password
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="herald-dovecot-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> Dovecot:
        account = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        group = "nogroup" if os.geteuid() == 0 else str(account.pw_gid)
        for sub in ("run", "state", "home"):
            (self.root / sub).mkdir()
        (self.root / "passwd").write_text(f"{self.username}:{{PLAIN}}{self.password}::::::\n")
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(root=self.root, user=account.pw_name, group=group, port=self.port)
        )
        for path in [self.root, *self.root.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid) if os.geteuid() == 0 else None
        self.root.chmod(0o755)
        extra = {"user": account.pw_uid, "group": account.pw_gid} if os.geteuid() == 0 else {}
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **extra,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.client().logout()
                return self
            except OSError:
                assert self.process.poll() is None, self.log()
                time.sleep(0.1)
        raise AssertionError("dovecot did not start:\n" + self.log())

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(self.username, self.password)
        return client

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        client.append(folder, None, None, raw)
        client.logout()

    def folder(self, name: str) -> list[bytes]:
        """Every message in ``name`` (without marking them seen), and their flags checked."""
        client = self.client()
        status, _ = client.select(f'"{name}"', readonly=True)
        if status != "OK":
            client.logout()
            return []
        _, found = client.uid("SEARCH", None, "ALL")
        messages = []
        for uid in (found[0] or b"").split():
            _, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            messages.append(next(p[1] for p in parts if isinstance(p, tuple)))
        client.logout()
        return messages

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        shutil.rmtree(self.root, ignore_errors=True)
