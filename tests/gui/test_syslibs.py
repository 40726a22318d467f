"""`make run` names the missing system libraries and the one command that installs them."""
from __future__ import annotations

import os

from convviz.gui import syslibs

LDD = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007fe8)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007fe8)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""


def test_the_missing_libraries_are_read_from_ldd_once_each():
    assert syslibs.missing_libraries(LDD) == ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert syslibs.missing_libraries("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == []


def test_one_command_installs_them_with_apt_or_dnf():
    missing = syslibs.missing_libraries(LDD)
    sudo = "" if os.geteuid() == 0 else "sudo "
    assert syslibs.install_command(missing, "apt") == \
        f"{sudo}apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"
    assert syslibs.install_command(missing, "dnf") == \
        f"{sudo}dnf install -y xcb-util-cursor xcb-util-wm xcb-util-keysyms"


def test_the_check_passes_when_nothing_is_missing_and_fails_with_the_command_when_something_is(monkeypatch, capsys):
    class Done:
        def __init__(self, stdout):
            self.stdout = stdout
    monkeypatch.setattr(syslibs.sys, "platform", "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(syslibs.shutil, "which", lambda name: "/usr/bin/" + name if name in ("ldd", "apt-get") else None)
    monkeypatch.setattr(syslibs.subprocess, "run", lambda *a, **k: Done(LDD))
    assert syslibs.check() == 1
    err = capsys.readouterr().err
    assert "libxcb-icccm.so.4" in err and "apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in err
    monkeypatch.setattr(syslibs.subprocess, "run", lambda *a, **k: Done("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n"))
    assert syslibs.check() == 0
