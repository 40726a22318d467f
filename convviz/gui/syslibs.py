"""Before the window opens on Linux: are the system libraries Qt's xcb plugin needs installed?

``python -m convviz.gui.syslibs`` (what ``make run`` does first) loads nothing: it asks
``ldd`` which libraries the plugin cannot find and, when some are missing, prints the one
command that installs them (apt or dnf) and exits with status 1.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora/RHEL package)
PACKAGES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
}


def xcb_plugin() -> Path | None:
    try:
        import PySide6
    except ImportError:
        return None
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.exists() else None


def missing_libraries(ldd_output: str) -> list[str]:
    """The sonames ``ldd`` reports as 'not found', each once, in order."""
    out = []
    for line in ldd_output.splitlines():
        name, sep, where = line.strip().partition("=>")
        if sep and where.strip() == "not found" and name.strip() not in out:
            out.append(name.strip())
    return out


def install_command(missing: list[str], manager: str) -> str:
    """The one command that installs the packages holding ``missing`` with ``manager`` ('apt' or 'dnf')."""
    column = 0 if manager == "apt" else 1
    packages = []
    for soname in missing:
        pkg = PACKAGES.get(soname, (soname.split(".so")[0],) * 2)[column]
        if pkg not in packages:
            packages.append(pkg)
    sudo = "" if hasattr(os, "geteuid") and os.geteuid() == 0 else "sudo "
    verb = "apt-get install -y" if manager == "apt" else "dnf install -y"
    return f"{sudo}{verb} {' '.join(packages)}"


def check() -> int:
    """0 when the window can open (or this is not Linux); 1, with the install command on stderr, when not."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM", "xcb") != "xcb":
        return 0
    plugin = xcb_plugin()
    if plugin is None or shutil.which("ldd") is None:
        return 0
    result = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=False)
    missing = missing_libraries(result.stdout)
    if not missing:
        return 0
    manager = "apt" if shutil.which("apt-get") else ("dnf" if shutil.which("dnf") else None)
    print(f"convviz: Qt's window plugin (xcb) needs system libraries that are not installed: "
          f"{', '.join(missing)}.", file=sys.stderr)
    if manager:
        print(f"Install them with:\n\n    {install_command(missing, manager)}\n\nthen run `make run` again.",
              file=sys.stderr)
    else:
        print("Install them with your package manager, then run `make run` again.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(check())
