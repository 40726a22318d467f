"""The window: PySide6 + pyqtgraph views over the Qt-free step model."""
