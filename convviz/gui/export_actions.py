"""What the window exports: the step as PNG / SVG or on the clipboard, every step of the path,
the tensors (.npy, CSV), and the scene as PyTorch code."""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ..core.tensorfiles import scene_tensors, write_tensors
from ..core.torchcode import torch_script
from . import exporting
from .exporting import PathExportDialog, StepExportDialog


class ExportActions:
    """``window`` has ``doc`` and ``stage``; ``problem(message)`` shows a message where the person looks."""

    def __init__(self, window: QtWidgets.QMainWindow, problem):
        self.window, self._problem = window, problem

    @property
    def doc(self):
        return self.window.doc

    def _report(self, message: str, ok: bool = True) -> None:
        if ok:
            self.window.statusBar().showMessage(message, 6000)
        else:
            QtWidgets.QMessageBox.warning(self.window, "Export", message)

    def export_step(self, path, fmt: str | None = None, width: int | None = None, dpi: int | None = None):
        """The whole current step (titles, text, formula, every tensor) as one PNG or SVG."""
        fmt = fmt or Path(path).suffix.lstrip(".").lower()
        stage = self.window.stage
        if fmt == "svg":
            exporting.save_stage_svg(stage, path, f"convviz — {stage.title.text()}", stage.formula.text())
        elif fmt == "png":
            exporting.save_stage_png(stage, path, width, dpi)
        else:
            raise ValueError(f"a step exports as png or svg, not {fmt!r}")

    def export_step_dialog(self):
        dialog = StepExportDialog(self.window)
        if dialog.exec() != QtWidgets.QDialog.Accepted:
            return
        fmt, width, dpi = dialog.choice()
        stem = f"{self.doc.path_name}-{self.doc.position:04d}"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Export step", f"{stem}.{fmt}",
                                                        f"{fmt.upper()} (*.{fmt})")
        if path:
            try:
                self.export_step(path, fmt, width, dpi)
                self._report(f"wrote {path}")
            except OSError as exc:
                self._report(str(exc), ok=False)

    def copy_step(self):
        exporting.copy_image(exporting.render_stage(self.window.stage))
        self._report("the step is on the clipboard as an image")

    def export_path(self, folder, fmt: str = "png", width: int | None = None, show_progress: bool = True):
        """Every step of the current path; a progress dialog whose Cancel writes nothing. Returns the files."""
        dialog = progress = None
        if show_progress:
            n = self.doc.path().n_positions
            dialog = QtWidgets.QProgressDialog(f"Exporting {n} steps of the {self.doc.path_name} path…", "Cancel",
                                               0, n, self.window)
            dialog.setWindowModality(QtCore.Qt.WindowModal)
            dialog.setMinimumDuration(400)

            def step_done(i, total):
                dialog.setValue(i)
                QtWidgets.QApplication.processEvents()
                return not dialog.wasCanceled()
            progress = step_done
        try:
            return exporting.write_path(self.window, folder, fmt, width, progress=progress)
        finally:
            if dialog is not None:
                dialog.reset()
                dialog.deleteLater()

    def export_path_dialog(self):
        dialog = PathExportDialog(self.window, str(Path.home()))
        if dialog.exec() != QtWidgets.QDialog.Accepted:
            return
        folder, fmt, width = dialog.choice()
        try:
            files = self.export_path(folder, fmt, width)
            self._report(f"wrote {len(files)} file(s) to {folder}")
        except exporting.ExportCancelled:
            self._report("export cancelled; nothing was written")
        except (OSError, ValueError) as exc:
            self._report(f"the export failed, nothing was written: {exc}", ok=False)

    def export_tensors(self, folder) -> list[Path]:
        return write_tensors(folder, scene_tensors(self.doc.shown.tensors, self.doc.results))

    def export_tensors_dialog(self):
        folder = QtWidgets.QFileDialog.getExistingDirectory(self.window, "Export the tensors into")
        if folder:
            try:
                files = self.export_tensors(folder)
                self._report(f"wrote {len(files)} files (.npy and .csv) to {folder}")
            except OSError as exc:
                self._report(f"the export failed, nothing was written: {exc}", ok=False)

    def copy_torch_code(self) -> str | None:
        try:
            code = torch_script(self.doc.scene)
        except ValueError as exc:
            self._problem(str(exc))
            return None
        QtWidgets.QApplication.clipboard().setText(code)
        self._report("PyTorch code for this scene is on the clipboard: run it to check every gradient")
        return code
