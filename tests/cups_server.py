"""A real CUPS scheduler for the tests: Debian's ``cupsd``, started as a child process with its own
configuration, spool and state in a temporary folder, listening on 127.0.0.1 only (never the
system's CUPS, never its socket). Queues print to files (``FileDevice Yes``, a ``file:`` device)
through a pass-through driver, so a job's output is the submitted PDF, byte for byte.

The job policy is Debian's default (Print-Job anonymous, a job's private attributes hidden from
anyone but its owner); only the administration operations the tests use (lpadmin, cupsdisable,
cupsenable, cupsreject) are open to 127.0.0.1, so that no certificate or password is needed.

Nothing waits by sleeping: the scheduler logs to its standard error, which a thread reads; the
fixture blocks until the line saying it listens, with a generous timeout.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CUPSD = shutil.which("cupsd") or "/usr/sbin/cupsd"
LPADMIN = shutil.which("lpadmin") or "/usr/sbin/lpadmin"
START_TIMEOUT = 60.0

#: A PostScript-free driver: PDF in, the same PDF out (gziptoany copies what is not gzip'd).
PASS_THROUGH_PPD = """*PPD-Adobe: "4.3"
*FormatVersion: "4.3"
*FileVersion: "1.0"
*LanguageVersion: English
*LanguageEncoding: ISOLatin1
*PCFileName: "PASSPDF.PPD"
*Manufacturer: "guidesrc tests"
*Product: "(PDF pass-through)"
*ModelName: "guidesrc PDF pass-through"
*ShortNickName: "PDF pass-through"
*NickName: "guidesrc PDF pass-through"
*PSVersion: "(3010.000) 0"
*LanguageLevel: "3"
*ColorDevice: False
*DefaultColorSpace: Gray
*FileSystem: False
*Throughput: "1"
*LandscapeOrientation: Plus90
*TTRasterizer: Type42
*cupsVersion: 2.4
*cupsFilter2: "application/pdf application/vnd.cups-pdf 0 gziptoany"
*OpenUI *PageSize: PickOne
*DefaultPageSize: A4
*PageSize A4: ""
*CloseUI: *PageSize
*DefaultImageableArea: A4
*ImageableArea A4: "0 0 595 842"
*DefaultPaperDimension: A4
*PaperDimension A4: "595 842"
"""

ADMIN_OPERATIONS = (
    "CUPS-Add-Modify-Printer CUPS-Delete-Printer CUPS-Add-Modify-Class CUPS-Delete-Class "
    "CUPS-Set-Default CUPS-Get-Devices Pause-Printer Resume-Printer Enable-Printer "
    "Disable-Printer CUPS-Accept-Jobs CUPS-Reject-Jobs Cancel-Jobs Cancel-Job Purge-Jobs"
)

CUPSD_CONF = """LogLevel info
Listen 127.0.0.1:{port}
Browsing No
WebInterface No
DefaultAuthType Basic
PreserveJobHistory Yes
<Location />
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Policy default>
  JobPrivateAccess default
  JobPrivateValues default
  <Limit {admin}>
    Order deny,allow
  </Limit>
  <Limit Create-Job Print-Job Print-URI Validate-Job>
    Order deny,allow
  </Limit>
  <Limit Send-Document Send-URI Hold-Job Release-Job Restart-Job Set-Job-Attributes Cancel-My-Jobs Close-Job CUPS-Move-Job>
    Require user @OWNER @SYSTEM
    Order deny,allow
  </Limit>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
"""

FILES_CONF = """ServerRoot {root}/etc
RequestRoot {root}/spool
TempDir {root}/spool/tmp
CacheDir {root}/cache
StateDir {root}/state
ErrorLog stderr
AccessLog {root}/log/access_log
PageLog {root}/log/page_log
FileDevice Yes
Printcap {root}/printcap
{user}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cups:
    root: Path
    port: int
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def out(self) -> Path:
        return self.root / "out"

    def admin(self, *args: str) -> subprocess.CompletedProcess[str]:
        """An administration command (lpadmin, cupsdisable …) against this scheduler."""
        tool = shutil.which(args[0]) or f"/usr/sbin/{args[0]}"
        return subprocess.run(
            [tool, "-h", self.server, *args[1:]],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "LANG": "C"},
        )

    def add_queue(self, name: str) -> Path:
        """A queue printing to ``out/<name>.pdf`` (each job replaces the file)."""
        output = self.out / f"{name}.pdf"
        self.admin(
            "lpadmin",
            "-p",
            name,
            "-E",
            "-v",
            f"file://{output}",
            "-P",
            str(self.root / "pass-through.ppd"),
        )
        return output

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _user_line() -> str:
    if os.geteuid() == 0:
        return ""  # cupsd runs its filters as lp
    return f"User {pwd.getpwuid(os.geteuid()).pw_name}\nGroup {grp.getgrgid(os.getegid()).gr_name}"


@pytest.fixture(scope="module")
def cups() -> Iterator[Cups]:
    """A CUPS scheduler of the module's own, ready to take requests."""
    if not Path(CUPSD).exists():
        if os.environ.get("CI"):
            pytest.fail("cupsd is not installed: .ci/run installs Debian's cups")
        pytest.skip("Debian's cups is not installed (apt-get install cups cups-client)")
    # Not pytest's tmp_path: its folders are private to this user, and CUPS filters run as lp.
    root = Path(tempfile.mkdtemp(prefix="guidesrc-cupsd-"))
    root.chmod(0o755)
    for sub in ("etc/ppd", "spool/tmp", "cache", "state", "log", "out"):
        (root / sub).mkdir(parents=True)
    (root / "spool").chmod(0o710)
    (root / "out").chmod(0o777)
    port = free_port()
    (root / "etc/cupsd.conf").write_text(CUPSD_CONF.format(port=port, admin=ADMIN_OPERATIONS))
    (root / "etc/cups-files.conf").write_text(FILES_CONF.format(root=root, user=_user_line()))
    (root / "pass-through.ppd").write_text(PASS_THROUGH_PPD)
    process = subprocess.Popen(
        [CUPSD, "-f", "-c", str(root / "etc/cupsd.conf"), "-s", str(root / "etc/cups-files.conf")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Cups(root, port, process)
    listening = threading.Event()

    def read_log() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            server.log.append(line.rstrip())
            if "Listening to" in line:
                listening.set()
        listening.set()  # it exited: the check below says so

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        assert listening.wait(START_TIMEOUT), "cupsd did not start listening"
        assert process.poll() is None, "cupsd exited:\n" + "\n".join(server.log)
        yield server
    finally:
        server.stop()
        reader.join(timeout=30)
        if process.stderr is not None:
            process.stderr.close()
        shutil.rmtree(root, ignore_errors=True)
