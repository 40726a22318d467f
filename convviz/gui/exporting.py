"""Pictures of what is on screen: one view, the whole step (composite), every step of a path.

PNG at a chosen width (or for print at 300 dpi), SVG, the clipboard, numbered frames and
an animated GIF. Used by the window's menus and by the headless ``convviz export``; a
path is written to a temporary folder and moved into place only when every frame is
done, so a failure or a cancel leaves nothing partial.
"""
from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

PRINT_DPI = 300
FORMATS = ("png", "svg", "gif")

# One size rule for every picture of a whole step (window, clipboard, frames, GIF, CLI): the
# stage is laid out at STAGE_PAGE (16:10, a slide) inside a white margin, then drawn at the
# width asked for, so the same step always has the same proportions.
STAGE_PAGE = QtCore.QSize(1280, 800)
STAGE_MARGIN = 24                  # logical px of white around the stage: titles never touch the edge
DEFAULT_WIDTH = 1600
GIF_MS_PER_FRAME = 700
GIF_LAST_FRAME_MS = 2500           # the result stays up before the animation starts again


class ExportCancelled(Exception):
    """The person pressed Cancel; nothing was written."""


def print_width(cm: float, dpi: int = PRINT_DPI) -> int:
    """Pixels for a picture ``cm`` wide printed at ``dpi``."""
    return max(1, round(cm / 2.54 * dpi))


def render_image(widget: QtWidgets.QWidget, width: int | None = None, dpi: int | None = None) -> QtGui.QImage:
    """The widget as it looks, redrawn (not scaled up) at ``width`` pixels: text and lines stay sharp."""
    w0, h0 = max(1, widget.width()), max(1, widget.height())
    width = int(width or w0)
    f = width / w0
    img = QtGui.QImage(width, max(1, round(h0 * f)), QtGui.QImage.Format_ARGB32)
    img.fill(QtGui.QColor("white"))
    if dpi:
        dpm = round(dpi / 0.0254)
        img.setDotsPerMeterX(dpm)
        img.setDotsPerMeterY(dpm)
    painter = QtGui.QPainter(img)
    painter.setRenderHints(QtGui.QPainter.Antialiasing | QtGui.QPainter.TextAntialiasing)
    painter.scale(f, f)
    widget.render(painter, QtCore.QPoint(), QtGui.QRegion(),
                  QtWidgets.QWidget.DrawWindowBackground | QtWidgets.QWidget.DrawChildren)
    painter.end()
    return img


def stage_size(width: int | None = None) -> QtCore.QSize:
    """The pixel size of a whole-step picture ``width`` pixels wide."""
    width = int(width or DEFAULT_WIDTH)
    return QtCore.QSize(width, round(width * STAGE_PAGE.height() / STAGE_PAGE.width()))


@contextmanager
def _laid_out_as_page(stage: QtWidgets.QWidget):
    """Lay the stage out at the page size (less the margin) for a moment, whatever the window's size.

    The layout holding the stage is switched off meanwhile, or a pending re-layout of the
    window would put the stage back to its on-screen size before it is drawn.
    """
    post = QtWidgets.QApplication.sendPostedEvents
    post(None, QtCore.QEvent.LayoutRequest)              # let the window settle first
    holder = stage.parentWidget().layout() if stage.parentWidget() is not None else None
    if holder is not None:
        holder.setEnabled(False)
    old = stage.size()
    stage.resize(STAGE_PAGE.width() - 2 * STAGE_MARGIN, STAGE_PAGE.height() - 2 * STAGE_MARGIN)
    for _ in range(3):                  # nested layouts (Qt's, then pyqtgraph's) settle in turns
        post(None, QtCore.QEvent.LayoutRequest)
        if stage.layout() is not None:
            stage.layout().activate()
    try:
        yield
    finally:
        stage.resize(old)
        if holder is not None:
            holder.setEnabled(True)
            holder.activate()


def render_stage(stage: QtWidgets.QWidget, width: int | None = None, dpi: int | None = None) -> QtGui.QImage:
    """The whole step by the one size rule: STAGE_PAGE's proportions, a white margin, ``width`` pixels wide."""
    size = stage_size(width)
    img = QtGui.QImage(size, QtGui.QImage.Format_ARGB32)
    img.fill(QtGui.QColor("white"))
    if dpi:
        dpm = round(dpi / 0.0254)
        img.setDotsPerMeterX(dpm)
        img.setDotsPerMeterY(dpm)
    with _laid_out_as_page(stage):
        painter = QtGui.QPainter(img)
        painter.setRenderHints(QtGui.QPainter.Antialiasing | QtGui.QPainter.TextAntialiasing)
        painter.scale(size.width() / STAGE_PAGE.width(), size.height() / STAGE_PAGE.height())
        stage.render(painter, QtCore.QPoint(STAGE_MARGIN, STAGE_MARGIN), QtGui.QRegion(),
                     QtWidgets.QWidget.DrawWindowBackground | QtWidgets.QWidget.DrawChildren)
        painter.end()
    return img


def save_stage_png(stage, path, width: int | None = None, dpi: int | None = None) -> QtGui.QImage:
    img = render_stage(stage, width, dpi)
    if not img.save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return img


def save_stage_svg(stage: QtWidgets.QWidget, path, title: str = "convviz", description: str = "") -> None:
    """The whole step as SVG at the page size, with the same margin as the PNG."""
    with _laid_out_as_page(stage):
        _svg(stage, path, title, description, STAGE_PAGE, QtCore.QPoint(STAGE_MARGIN, STAGE_MARGIN))


def save_png(widget, path, width: int | None = None, dpi: int | None = None) -> QtGui.QImage:
    img = render_image(widget, width, dpi)
    if not img.save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return img


def save_svg(widget: QtWidgets.QWidget, path, title: str = "convviz", description: str = "") -> None:
    """The widget as SVG: text stays text, heatmaps are embedded images."""
    _svg(widget, path, title, description, QtCore.QSize(max(1, widget.width()), max(1, widget.height())),
         QtCore.QPoint())


def _svg(widget, path, title: str, description: str, size: QtCore.QSize, offset: QtCore.QPoint) -> None:
    from PySide6 import QtSvg
    w, h = size.width(), size.height()
    gen = QtSvg.QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(QtCore.QSize(w, h))
    gen.setViewBox(QtCore.QRect(0, 0, w, h))
    gen.setTitle(title)
    gen.setDescription(description)
    painter = QtGui.QPainter()
    if not painter.begin(gen):
        raise OSError(f"cannot write {path}")
    if not offset.isNull():
        painter.fillRect(0, 0, w, h, QtGui.QColor("white"))
    widget.render(painter, offset, QtGui.QRegion(),
                  QtWidgets.QWidget.DrawWindowBackground | QtWidgets.QWidget.DrawChildren)
    painter.end()
    if not Path(path).exists() or Path(path).stat().st_size == 0:
        raise OSError(f"cannot write {path}")


def copy_image(img: QtGui.QImage) -> None:
    QtWidgets.QApplication.clipboard().setImage(img)


def write_path(win, out, fmt: str = "png", width: int | None = None, positions=None, progress=None) -> list[Path]:
    """Every step (or ``positions``) of the window's current path; the window goes back to its step."""
    doc = win.doc
    keep = doc.position

    def show(p: int) -> None:
        doc.set_position(p)
        QtWidgets.QApplication.processEvents()
    try:
        return write_frames(win.stage, show, doc.path_name, doc.path().n_positions, out, fmt, width,
                            positions, progress)
    finally:
        doc.set_position(keep)


def write_frames(stage: QtWidgets.QWidget, show, name: str, n: int, out, fmt: str = "png",
                 width: int | None = None, positions=None, progress=None) -> list[Path]:
    """Positions 0…n−1 (or ``positions``) of the path ``name`` as numbered frames or one GIF.

    ``show(p)`` draws position ``p`` on ``stage`` (a StageView); ``progress(done, total)``
    is called after each frame, and returning False cancels (ExportCancelled, nothing written).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    todo = list(range(n)) if positions is None else [int(p) for p in positions]
    bad = [p for p in todo if not 0 <= p < n]
    if bad:
        raise ValueError(f"step {bad[0]} is not on the {name} path, which has steps 0 to {n - 1}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(dir=out, prefix=".convviz-export-") as tmp:
        frames = []
        for i, p in enumerate(todo):
            show(p)
            stem = Path(tmp) / f"{name}-{p:04d}"
            if fmt == "svg":
                save_stage_svg(stage, stem.with_suffix(".svg"), f"convviz — {name}, step {p}")
                frames.append(stem.with_suffix(".svg"))
            else:
                save_stage_png(stage, stem.with_suffix(".png"), width)
                frames.append(stem.with_suffix(".png"))
            if progress is not None and progress(i + 1, len(todo)) is False:
                raise ExportCancelled()
        if fmt == "gif":
            frames = [_gif(frames, Path(tmp) / f"{name}.gif")]
        for f in frames:
            shutil.move(str(f), out / f.name)
            written.append(out / f.name)
    return written


def _gif(pngs: list[Path], gif: Path, ms_per_frame: int = GIF_MS_PER_FRAME) -> Path:
    """One palette for every frame (pure white in it, no dithering), the last frame held longer."""
    from PIL import Image
    frames = []
    for f in pngs:
        with Image.open(f) as im:
            frames.append(im.convert("RGB"))
    palette = _shared_palette(frames)
    imgs = [_to_palette(f, palette) for f in frames]
    durations = [ms_per_frame] * (len(imgs) - 1) + [max(ms_per_frame, GIF_LAST_FRAME_MS)]
    imgs[0].save(gif, save_all=True, append_images=imgs[1:], duration=durations, loop=0, optimize=False)
    return gif


# exact in every GIF: white (background, zero cells), black (text), the box colours of tensorview
GIF_FIXED_COLOURS = ((255, 255, 255), (0, 0, 0), (0, 200, 80), (255, 170, 0), (200, 0, 200), (220, 0, 0),
                     (0, 90, 230))


def _to_palette(frame, palette):
    """The frame in the shared palette, nearest colour, every pixel of a fixed colour kept exactly."""
    import numpy as np
    from PIL import Image
    index = np.array(frame.quantize(palette=palette, dither=Image.Dither.NONE))
    rgb = np.asarray(frame)
    first = 256 - len(GIF_FIXED_COLOURS)
    for i, colour in enumerate(GIF_FIXED_COLOURS):
        index[(rgb == colour).all(axis=2)] = first + i
    out = Image.fromarray(index.astype(np.uint8), "P")
    out.putpalette(palette.getpalette())
    return out


def _shared_palette(frames):
    """An adaptive palette over all frames, plus GIF_FIXED_COLOURS exactly."""
    from PIL import Image
    step = max(1, len(frames) // 6)                      # a few frames, first and last among them, hold the colours
    sample = frames[::step][:6] + [frames[-1]]
    w, h = sample[0].size
    sheet = Image.new("RGB", (w, h * len(sample)), "white")
    for i, f in enumerate(sample):
        sheet.paste(f, (0, i * h))
    n = 256 - len(GIF_FIXED_COLOURS)
    quantized = sheet.quantize(colors=n, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    colours = quantized.getpalette()[:n * 3]
    colours += [255] * (n * 3 - len(colours))
    palette = Image.new("P", (1, 1))
    palette.putpalette(colours + [v for c in GIF_FIXED_COLOURS for v in c])
    return palette


class StepExportDialog(QtWidgets.QDialog):
    """Format and size of a composite picture of the step."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export the step")
        form = QtWidgets.QFormLayout(self)
        self.fmt = QtWidgets.QComboBox()
        self.fmt.addItems(["PNG", "SVG"])
        form.addRow("format", self.fmt)
        self.by_width = QtWidgets.QRadioButton("width in pixels", checked=True)
        self.width = QtWidgets.QSpinBox(minimum=200, maximum=8000, value=DEFAULT_WIDTH, suffix=" px")
        self.by_print = QtWidgets.QRadioButton(f"for print at {PRINT_DPI} dpi, width")
        self.cm = QtWidgets.QDoubleSpinBox(minimum=2, maximum=60, value=16, suffix=" cm")
        form.addRow(self.by_width, self.width)
        form.addRow(self.by_print, self.cm)
        self.fmt.currentTextChanged.connect(lambda t: [w.setEnabled(t == "PNG") for w in
                                                       (self.by_width, self.width, self.by_print, self.cm)])
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok | QtWidgets.QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def choice(self) -> tuple[str, int, int | None]:
        """(format, width in pixels, dpi or None)."""
        if self.by_print.isChecked():
            return self.fmt.currentText().lower(), print_width(self.cm.value()), PRINT_DPI
        return self.fmt.currentText().lower(), self.width.value(), None


class PathExportDialog(QtWidgets.QDialog):
    """Where and how to write every step of the path."""

    def __init__(self, parent=None, folder: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Export every step of the path")
        form = QtWidgets.QFormLayout(self)
        row = QtWidgets.QHBoxLayout()
        self.folder = QtWidgets.QLineEdit(folder)
        browse = QtWidgets.QPushButton("…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.folder)
        row.addWidget(browse)
        form.addRow("folder", row)
        self.fmt = QtWidgets.QComboBox()
        self.fmt.addItems(["PNG frames", "SVG frames", "animated GIF"])
        form.addRow("as", self.fmt)
        self.width = QtWidgets.QSpinBox(minimum=200, maximum=8000, value=DEFAULT_WIDTH, suffix=" px")
        form.addRow("width", self.width)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok | QtWidgets.QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self):
        d = QtWidgets.QFileDialog.getExistingDirectory(self, "Export into", self.folder.text())
        if d:
            self.folder.setText(d)

    def choice(self) -> tuple[str, str, int]:
        return self.folder.text(), ("png", "svg", "gif")[self.fmt.currentIndex()], self.width.value()
