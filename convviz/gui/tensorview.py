"""One tensor as a pyqtgraph heatmap: title with role and shape, colour bar, values, outlines."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.paths.common import short_number as _short
from ..core.paths.roles import Role
from . import exporting
from .zero_marks import ZeroOverlay

# no mouse rate limit: pyqtgraph drops a move that comes within 10 ms of the last one, and when that
# is the one the mouse rests on, hover would light up the cell it left instead of the one under it
pg.setConfigOptions(antialias=True, imageAxisOrder="row-major", background="w", foreground="k", mouseRateLimit=0)

DIVERGING = "CET-D1A"           # blue - white - red, centred on 0
DIVERGING_CB = "CET-CBD1"       # colour-blind-safe diverging
SEQUENTIAL = "viridis"
VALUE_LIMIT = 16                # print values when a plane is at most this many cells across
TEXT_MARGIN = 4                 # px, QTextDocument's default margin around a TextItem's text
BOX_LIMIT = 64                  # outline cells one by one up to this many, else their union

HIGHLIGHT_PENS = {
    "field": pg.mkPen((255, 170, 0), width=2.5),        # receptive field, window, support
    "target": pg.mkPen((0, 200, 80), width=4),          # the cell being written
    "link": pg.mkPen((200, 0, 200), width=2.5),         # hover links
    "mark": pg.mkPen((220, 0, 0), width=3.5, style=QtCore.Qt.DashLine),   # a max's winner, the bias
    "answer": pg.mkPen((0, 90, 230), width=3.5),        # the cells a student clicked in predict mode
}


def tick_step(n: int, most: int = 8) -> int:
    """A round step (1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, …) giving at most ``most`` labels."""
    for base in (1, 10, 100, 1000):
        for m in (1, 2, 4, 5, 8):
            if n <= most * m * base:
                return m * base
    return int(np.ceil(n / most))


def plane_of(data: np.ndarray, index: tuple[int, ...]) -> np.ndarray:
    """The 2-D plane of a tensor shown on screen: [n, c] of 4-D, [g] of 3-D, a row for 1-D."""
    if data.ndim == 1:
        return data[None, :]
    if data.ndim == 2:
        return data
    lead = tuple(min(i, s - 1) for i, s in zip(index, data.shape[:data.ndim - 2]))
    lead = lead + (0,) * (data.ndim - 2 - len(lead))
    return data[lead]


class TensorView(QtWidgets.QWidget):
    """A heatmap of one tensor plane. Emits ``hovered(cell)`` with the full tensor index (or None)."""

    hovered = QtCore.Signal(object)
    clicked = QtCore.Signal(object)

    def __init__(self, role: Role | None = None, parent=None):
        super().__init__(parent)
        self.role = role
        self.data: np.ndarray | None = None
        self.index: tuple[int, ...] = (0, 0)
        self.show_values = True
        self.colorblind = False
        self.font_scale = 1.0
        self._texts: list[pg.TextItem] = []
        self._shown: dict = {}            # what the plot shows now, to skip unchanged (costly) updates
        self._outlines: dict[str, QtWidgets.QGraphicsPathItem] = {}
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(0)
        # the title is a Qt label, not the plot's: it wraps instead of widening the plot past its cell
        self.title = QtWidgets.QLabel(wordWrap=True, alignment=QtCore.Qt.AlignCenter)
        self.title.setObjectName("viewTitle")
        self.title.setSizePolicy(QtWidgets.QSizePolicy.Ignored, QtWidgets.QSizePolicy.Minimum)
        self.title.setStyleSheet("background: white; color: black; padding-top: 4px;")
        layout.addWidget(self.title)
        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setMinimumSize(120, 120)
        layout.addWidget(self.glw)
        self.plot = self.glw.addPlot()
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(values=(-1, 1), colorMap=pg.colormap.get(DIVERGING), interactive=False, width=12)
        self.bar.setImageItem(self.image, insert_in=self.plot)
        for kind, pen in HIGHLIGHT_PENS.items():
            item = QtWidgets.QGraphicsPathItem()
            item.setPen(pen)
            item.setZValue(10 + len(self._outlines))
            item.setVisible(False)
            self.plot.addItem(item)
            self._outlines[kind] = item
        self.zeros = ZeroOverlay(self.plot)       # padding, inserted zeros, cells never reached
        self._hidden: set = set()
        self._cover = QtWidgets.QGraphicsPathItem()
        self._cover.setBrush(QtGui.QBrush(QtGui.QColor(200, 200, 200)))
        self._cover.setPen(pg.mkPen((120, 120, 120), width=1))
        self._cover.setZValue(4)                  # over the image, under the values and the outlines
        self._cover.setVisible(False)
        self.plot.addItem(self._cover)
        self.plot.vb.sigResized.connect(self._resized)
        self.glw.setContextMenuPolicy(QtCore.Qt.CustomContextMenu)
        self.glw.customContextMenuRequested.connect(lambda pos: self.context_menu().exec(self.glw.mapToGlobal(pos)))
        self.glw.scene().sigMouseMoved.connect(self._mouse_moved)
        self.glw.scene().sigMouseClicked.connect(self._mouse_clicked)
        self._name_after(role)
        self._apply_font_scale()

    def _name_after(self, role: Role | None) -> None:
        name = role.name if role is not None else ""
        self.setObjectName(f"view:{name}")
        self.setAccessibleName(f"{name} heatmap")

    def _apply_font_scale(self) -> None:
        """Axis numbers and colour-bar labels follow ``font_scale`` like the title and the values."""
        s = self.font_scale
        font = QtGui.QFont("Sans")
        font.setPixelSize(max(7, round(11 * s)))
        for ax in ("left", "bottom"):
            self.plot.getAxis(ax).setStyle(tickFont=font, tickTextOffset=max(2, round(3 * s)))
        self.plot.getAxis("left").setWidth(round(28 * s))
        self.plot.getAxis("bottom").setHeight(round(22 * s))
        self.bar.axis.setStyle(tickFont=font)
        self.bar.axis.setWidth(round(45 * s))
        self.bar.layout.setColumnFixedWidth(1, round(12 * s))
        self._shown["font_scale"] = s

    def max_panel_size(self, plane_shape: tuple[int, int]) -> QtCore.QSize:
        """The most room a plane of this shape needs: a small tensor gets a small panel."""
        s = self.font_scale
        cell = 72 * s
        h, w = plane_shape
        return QtCore.QSize(round(w * cell + 100 * s) + 8, round(h * cell + 70 * s) + 8)

    # ------------------------------------------------------------ content

    def set_tensor(self, role: Role, data: np.ndarray, label: str, index: tuple[int, ...], signed: bool,
                   scale: float) -> None:
        """Show plane ``index`` of ``data`` with a fixed colour scale (±scale, or 0..scale)."""
        if role != self.role:
            self.role = role
            self._name_after(role)
        if self.font_scale != self._shown.get("font_scale"):
            self._apply_font_scale()
        self.data, self.index = data, index
        self._hidden = set()
        self._cover.setVisible(False)
        plane = plane_of(data, index).astype(np.float32)
        where = f" [{', '.join(str(i) for i in index[:max(0, data.ndim - 2)])}]" if data.ndim > 2 else ""
        size = int(14 * self.font_scale)
        title = f"<span style='font-size:{size}px'><b>{label}</b>{where}</span>"
        if title != self._shown.get("title"):
            self.title.setText(title)
            self._shown["title"] = title
        scale = float(scale) if scale > 0 else 1.0
        if signed:
            cmap = pg.colormap.get(DIVERGING_CB if self.colorblind else DIVERGING)
            levels = (-scale, scale)
        else:
            cmap = pg.colormap.get(SEQUENTIAL)
            lo = float(np.nanmin(data, initial=0.0))
            levels = (min(0.0, lo), scale if scale > lo else lo + 1.0)
        if cmap.name != self._shown.get("cmap"):
            self.bar.setColorMap(cmap)
            self._shown["cmap"] = cmap.name
        if levels != self._shown.get("levels"):
            self.bar.setLevels(levels)
            self._shown["levels"] = levels
        self.image.setImage(plane, autoLevels=False, levels=levels)
        if plane.shape != self._shown.get("shape"):          # the axes repaint from a cache otherwise
            self.image.setRect(QtCore.QRectF(0, 0, plane.shape[1], plane.shape[0]))
            self.plot.setRange(xRange=(0, plane.shape[1]), yRange=(0, plane.shape[0]), padding=0.02)
            for ax, n in (("bottom", plane.shape[1]), ("left", plane.shape[0])):
                every = tick_step(n)
                self.plot.getAxis(ax).setTicks([[(i + 0.5, str(i)) for i in range(0, n, every)], []])
            self._shown["shape"] = plane.shape
        self._update_values(plane, levels)

    def _update_values(self, plane: np.ndarray, levels) -> None:
        self._values_for = (plane, levels)
        for t in self._texts:
            t.setVisible(False)
        if not self.show_values or max(plane.shape) > VALUE_LIMIT:
            return
        h, w = plane.shape
        labels = ["" if v != v else _short(float(v)) for v in plane.ravel()]     # NaN: not computed yet
        # the text must fit its cell: shrink it for long numbers and small cells, or leave it out
        vb = self.plot.vb.boundingRect()
        cell_px = min(vb.width() / w, vb.height() / h) if vb.width() > 1 else 48.0
        font = QtGui.QFont("Sans")
        px = int((12 if max(h, w) > 8 else 15) * self.font_scale)
        font.setPixelSize(px)
        widest = max(QtGui.QFontMetricsF(font).horizontalAdvance(s) for s in labels)
        margin = 2 * TEXT_MARGIN                    # a TextItem's document adds this around the text
        px = int(min(px, px * (0.9 * cell_px - margin) / max(widest, 1.0), 0.55 * cell_px))
        if px < 7:
            return
        font.setPixelSize(px)
        need = h * w
        while len(self._texts) < need:
            t = pg.TextItem(anchor=(0.5, 0.5))
            t.setZValue(5)
            self.plot.addItem(t)
            self._texts.append(t)
        span = max(abs(levels[0]), abs(levels[1])) or 1.0
        for k in range(need):
            y, x = divmod(k, w)
            v = float(plane[y, x])
            t = self._texts[k]
            t.setText(labels[k])
            t.setFont(font)
            light = abs(v) > 0.6 * span if levels[0] < 0 else v < levels[0] + 0.5 * (levels[1] - levels[0])
            t.setColor((255, 255, 255) if light else (20, 20, 20))
            t.setPos(x + 0.5, y + 0.5)
            t.setVisible(True)
        self._apply_hidden_texts()

    def _resized(self) -> None:
        if getattr(self, "_values_for", None) is not None:
            self._update_values(*self._values_for)

    def set_highlights(self, kind: str, cells) -> None:
        """Outline the cells (full tensor indices) that lie in the plane on screen.

        A few cells get a box each; many (the shifted X of a dW tap on a big image) get
        the outline of their union, which reads better and paints in constant time.
        """
        path = QtGui.QPainterPath()
        if self.data is not None and len(cells):
            if self.data.ndim == 1:
                yx = np.array([(0, c[0]) for c in cells], np.int64)
            else:
                arr = getattr(cells, "array", None)          # links.Cells: the array is at hand
                if arr is None:
                    arr = np.asarray(cells, np.int64)
                arr = arr.reshape(len(cells), -1)
                lead_n = max(0, self.data.ndim - 2)
                keep = np.all(arr[:, :lead_n] == np.asarray(self.index[:lead_n], np.int64), axis=1)
                yx = arr[keep][:, -2:]
            if len(yx) <= BOX_LIMIT:
                for y, x in yx.tolist():
                    path.addRect(QtCore.QRectF(x + 0.06, y + 0.06, 0.88, 0.88))
            else:
                _outline(path, yx, plane_of(self.data, self.index).shape)
        self._outlines[kind].setPath(path)
        self._outlines[kind].setVisible(not path.isEmpty())     # an empty path makes a broken SVG element

    def set_hidden(self, cells) -> None:
        """Cover these cells and print '?' in them: the value a student is asked to predict."""
        self._hidden = set()
        path = QtGui.QPainterPath()
        if self.data is not None and self.data.ndim >= 2:
            lead_n = self.data.ndim - 2
            for cell in cells:
                if tuple(cell[:lead_n]) == tuple(self.index[:lead_n]):
                    y, x = cell[-2], cell[-1]
                    self._hidden.add((y, x))
                    path.addRect(QtCore.QRectF(x, y, 1, 1))
        self._cover.setPath(path)
        self._cover.setVisible(not path.isEmpty())
        self._apply_hidden_texts()

    def _apply_hidden_texts(self) -> None:
        if self.data is None or not self._hidden:
            return
        w = plane_of(self.data, self.index).shape[1]
        for y, x in self._hidden:
            k = y * w + x
            if k < len(self._texts) and self._texts[k].isVisible():
                self._texts[k].setText("?")
                self._texts[k].setColor((20, 20, 20))

    def clear_highlights(self) -> None:
        for kind in self._outlines:
            self.set_highlights(kind, [])

    # ------------------------------------------------------------ export

    def context_menu(self) -> QtWidgets.QMenu:
        """Right-click: this view as PNG or SVG, or onto the clipboard."""
        menu = QtWidgets.QMenu(self)
        menu.addAction("Export view as PNG…", lambda: self._export_dialog("png"))
        menu.addAction("Export view as SVG…", lambda: self._export_dialog("svg"))
        menu.addAction("Copy view", lambda: exporting.copy_image(exporting.render_image(self, 2 * self.width())))
        return menu

    def export(self, path, fmt: str | None = None, width: int | None = None) -> None:
        fmt = fmt or Path(path).suffix.lstrip(".").lower()
        if fmt == "svg":
            exporting.save_svg(self, path, f"convviz — {self.role.name if self.role else ''}")
        elif fmt == "png":
            exporting.save_png(self, path, width or 2 * self.width())
        else:
            raise ValueError(f"a view exports as png or svg, not {fmt!r}")

    def _export_dialog(self, fmt: str) -> None:
        role = self.role.name if self.role is not None else ""
        name = "".join(ch if ch.isalnum() else "_" for ch in role) or "view"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Export {role}", f"{name}.{fmt}",
                                                        f"{fmt.upper()} (*.{fmt})")
        if path:
            try:
                self.export(path, fmt)
            except OSError as exc:
                QtWidgets.QMessageBox.warning(self, "Cannot export", str(exc))

    # ------------------------------------------------------------ mouse

    def cell_at(self, scene_pos) -> tuple | None:
        if self.data is None or not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.plot.vb.mapSceneToView(scene_pos)
        plane = plane_of(self.data, self.index)
        y, x = int(np.floor(p.y())), int(np.floor(p.x()))
        if not (0 <= y < plane.shape[0] and 0 <= x < plane.shape[1]):
            return None
        if self.data.ndim == 1:
            return (x,)
        return tuple(self.index[:self.data.ndim - 2]) + (y, x)

    def _mouse_moved(self, pos) -> None:
        self.hovered.emit(self.cell_at(pos))

    def _mouse_clicked(self, ev) -> None:
        cell = self.cell_at(ev.scenePos())
        if cell is not None:
            self.clicked.emit(cell)


def _outline(path: QtGui.QPainterPath, yx: np.ndarray, shape: tuple[int, int]) -> None:
    """Add the boundary of the union of cells ``yx`` (rows of (y, x)) as line segments."""
    h, w = shape
    yx = yx[(yx[:, 0] >= 0) & (yx[:, 0] < h) & (yx[:, 1] >= 0) & (yx[:, 1] < w)]
    mask = np.zeros((h + 2, w + 2), bool)
    mask[yx[:, 0] + 1, yx[:, 1] + 1] = True
    for transpose in (False, True):
        m = mask.T if transpose else mask
        edges = m[1:, 1:-1] != m[:-1, 1:-1]           # edge above row r (r = 0..h), per column
        for r in np.flatnonzero(edges.any(axis=1)):
            e = np.concatenate(([False], edges[r], [False])).astype(np.int8)
            starts, ends = np.flatnonzero(np.diff(e) == 1), np.flatnonzero(np.diff(e) == -1)
            for a, b in zip(starts.tolist(), ends.tolist()):
                p0, p1 = (QtCore.QPointF(r, a), QtCore.QPointF(r, b)) if transpose else \
                    (QtCore.QPointF(a, r), QtCore.QPointF(b, r))
                path.moveTo(p0)
                path.lineTo(p1)
